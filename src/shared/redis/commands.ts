import { randomUUID } from 'node:crypto';
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

/**
 * A fresh epoch id: 8 base-36 characters from 48 random bits. The state manager makes one per
 * change (a script uses it only when Redis has no epoch), so the bits come from the first 12
 * hex digits of a v4 UUID, all random: `randomUUID` draws from a cached pool of secure random
 * bytes, where `randomBytes` calls into OpenSSL each time (about 12 µs a change here, 6 % of the
 * state manager's CPU at 200 changes in flight).
 */
export function newEpochId(): string {
  const uuid = randomUUID();
  return BigInt(`0x${uuid.slice(0, 8)}${uuid.slice(9, 13)}`)
    .toString(36)
    .padStart(8, '0')
    .slice(-8);
}

/**
 * The Lua of the seq epoch (`epoch` hash: `id`, and `replid`, the replication id of the
 * primary that last vouched for it). `epochOf` is what every script that hands out seqs
 * calls first, atomically with the seqs it hands out:
 *
 * - no epoch (first use, or Redis lost its data): a new one, stamped with this primary's id;
 * - stamped by this primary (`master_replid`): unchanged;
 * - stamped by another primary: this one took over (a failover, or a restart that got a new
 *   replication id), and it may lack writes the old one acknowledged, so the counters may
 *   have gone back: a new epoch. Except with `durable` (the state manager WAITs for a replica
 *   before it routes or acks) when this primary was promoted from a replica of that one
 *   (`master_replid2` is its id): every seq a client was given was on the replica, so the
 *   numbering goes on and only the stamp moves;
 * - no stamp (written before stamps existed): stamped, unchanged.
 *
 * `INFO replication` is read inside the script (about 5 µs), not passed in: an argument would
 * be what the caller believed before a failover, and a script resent to the new primary
 * after a reconnect would carry the old primary's id.
 */
export const EPOCH_INLINE = `
local function replicationIds()
  local info = redis.call('INFO', 'replication')
  return string.match(info, 'master_replid:(%x+)') or '', string.match(info, 'master_replid2:(%x+)')
end
local function epochOf(key, candidate, durable)
  local e = redis.call('HMGET', key, 'id', 'replid')
  local replid, replid2 = replicationIds()
  if e[1] and e[2] == replid then return e[1] end
  if e[1] and (not e[2] or (durable and e[2] == replid2)) then
    redis.call('HSET', key, 'replid', replid)
    return e[1]
  end
  redis.call('HSET', key, 'id', candidate, 'replid', replid)
  return candidate
end`;

/**
 * Reads the epoch, creating it when missing. It never moves an existing epoch: a socket server
 * reading for a welcome does not know whether the state managers WAIT for replicas; the first
 * seq handed out on a new primary decides, and the server follows the epoch of that frame.
 */
const EPOCH_LUA = `${EPOCH_INLINE}
local id = redis.call('HGET', KEYS[1], 'id')
if id then return id end
return epochOf(KEYS[1], ARGV[1], false)`;

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
