import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run by its SHA (EVALSHA), sending the source only when Redis does not have it
 * yet (NOSCRIPT: first use, or after a Redis restart). Saves shipping and hashing the source on
 * every call on the hot path.
 */
export class Script {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Runs a script with its first `numKeys` arguments as keys and the rest as arguments. */
export function runScript(
  redis: Redis,
  script: Script,
  numKeys: number,
  ...rest: (string | number)[]
): Promise<unknown> {
  return script.run(redis, rest.slice(0, numKeys).map(String), rest.slice(numKeys));
}
