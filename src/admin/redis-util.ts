import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';

/** What the admin's Redis readers are given: a connection and the namespace's keys. */
export interface RedisSource {
  redis: Redis;
  keys: RedisKeys;
}

/** `text` with Redis glob characters escaped, for a literal part of a MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Keys matching `pattern`, by SCAN (never KEYS), stopping after `limit` keys or `maxCalls`
 * SCAN calls, so a large Redis costs a bounded amount of work per request.
 */
export async function scanKeys(
  redis: Redis,
  pattern: string,
  { limit = 500, maxCalls = 200 }: { limit?: number; maxCalls?: number } = {},
): Promise<{ keys: string[]; complete: boolean }> {
  const keys = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) keys.add(key);
    calls++;
  } while (cursor !== '0' && keys.size < limit && calls < maxCalls);
  return { keys: [...keys].slice(0, limit), complete: cursor === '0' && keys.size <= limit };
}

/** Splits a key built by `build(id)` back into its id: `[prefix, suffix]` of the template. */
export function keyTemplate(build: (id: string) => string): (key: string) => string | undefined {
  const marker = '\u0000';
  const [prefix = '', suffix = ''] = build(marker).split(marker);
  return (key) =>
    key.startsWith(prefix) && key.endsWith(suffix) && key.length > prefix.length + suffix.length
      ? key.slice(prefix.length, key.length - suffix.length)
      : undefined;
}
