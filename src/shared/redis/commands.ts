import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Lua scripts, registered with ioredis `defineCommand` (EVALSHA with a NOSCRIPT fallback, in
 * pipelines too) and called only through the typed wrappers below, with named arguments. A
 * script's per-item arguments travel as one JSON argument (`cjson.decode`), never as
 * positional arithmetic over ARGV. exam-relay runs on one Redis primary (Sentinel, not
 * Cluster), so a script may touch keys named in that JSON.
 *
 * ioredis resends commands that were in flight when a connection dropped, and the broker
 * redelivers what was not acked, so every write script is safe to run twice.
 */

/** Reads the epoch, creating it when missing (first use, or Redis lost its data). */
const EPOCH_LUA = `
local id = redis.call('HGET', KEYS[1], 'id')
if not id then
  id = ARGV[1]
  redis.call('HSET', KEYS[1], 'id', id)
end
return id`;

/** A fresh epoch id: 8 base-36 characters. */
export function newEpochId(): string {
  return BigInt(`0x${randomBytes(6).toString('hex')}`)
    .toString(36)
    .padStart(8, '0')
    .slice(-8);
}

interface Commands {
  relayEpoch(key: string, candidate: string): Promise<string>;
}

function commands(redis: Redis): Commands {
  const r = redis as unknown as Partial<Commands>;
  if (!r.relayEpoch) redis.defineCommand('relayEpoch', { numberOfKeys: 1, lua: EPOCH_LUA });
  return redis as unknown as Commands;
}

/** The current epoch (`epoch` hash, field `id`), created if Redis has none. */
export function readEpoch(redis: Redis, key: string): Promise<string> {
  return commands(redis).relayEpoch(key, newEpochId());
}

/** The Lua that gets or creates the epoch, for scripts that need it inline. */
export const EPOCH_INLINE = `
local function epochOf(key, candidate)
  local id = redis.call('HGET', key, 'id')
  if not id then
    id = candidate
    redis.call('HSET', key, 'id', id)
  end
  return id
end`;
