import type { Redis } from 'ioredis';
import { CLEANUP_CLIENT_NAME } from '../test/helpers/env.js';

/** One SLOWLOG entry: how long one command held Redis, and what it was. */
export interface SlowEntry {
  durationMicros: number;
  /** When it was logged (ISO, to the second), to place it in the run's phases. */
  at: string;
  command: string;
  /**
   * Which system sent it: the one whose namespace its arguments name or whose Redis client
   * name it came from, or `other` (Redis is shared).
   */
  system: string;
}

/** A system as its Redis commands show it: keys in its namespace, clients named alike. */
export interface SlowLogSystem {
  name: string;
  namespace?: string;
  /** The start of the Redis client name (`CLIENT SETNAME`) of each of its connections. */
  clientPrefix: string;
}

/** Commands slower than this are logged during the run (µs). */
const THRESHOLD_MICROS = 1000;
const MAX_LEN = 1024;

/**
 * Redis's SLOWLOG over the run. Redis is shared with other users of the machine, so the bench
 * reads the two settings it changes first and puts them back (`restore`, also on SIGINT);
 * entries are attributed to a system by the namespace in their arguments or by the client
 * that sent them (SLOWLOG keeps only each argument's first 128 bytes, which may not reach a
 * key).
 */
export class SlowLog {
  private original: { slower: string; maxLen: string } | undefined;
  readonly entries: SlowEntry[] = [];

  constructor(private readonly redis: Redis) {}

  async begin(): Promise<void> {
    const [, slower] = (await this.redis.config('GET', 'slowlog-log-slower-than')) as string[];
    const [, maxLen] = (await this.redis.config('GET', 'slowlog-max-len')) as string[];
    if (slower === undefined || maxLen === undefined) throw new Error('CONFIG GET slowlog failed');
    this.original = { slower, maxLen };
    await this.redis.config('SET', 'slowlog-log-slower-than', String(THRESHOLD_MICROS));
    await this.redis.config('SET', 'slowlog-max-len', String(Math.max(MAX_LEN, Number(maxLen))));
    await this.redis.call('SLOWLOG', 'RESET');
  }

  /** Reads and clears what was logged since the last read, while `systems` ran. */
  async collect(systems: SlowLogSystem[]): Promise<void> {
    const raw = (await this.redis.call('SLOWLOG', 'GET', String(MAX_LEN))) as unknown[][];
    await this.redis.call('SLOWLOG', 'RESET');
    for (const entry of raw) {
      const args = (entry[3] as unknown[]).map(String);
      // The bench's own SLOWLOG RESET can take a moment on a long log, and the cleanup after a
      // system deletes its keys: neither is a command of the system.
      if (args[0]?.toUpperCase() === 'SLOWLOG') continue;
      const client = String(entry[5] ?? '');
      if (client === CLEANUP_CLIENT_NAME) continue;
      const system =
        systems.find(
          ({ namespace, clientPrefix }) =>
            client.startsWith(clientPrefix) ||
            (namespace !== undefined && args.some((a) => a.includes(namespace))),
        )?.name ?? 'other';
      // Socket.IO's adapter publishes msgpack: show printable characters only.
      const shown = args
        .slice(0, 4)
        .map((a) => a.replace(/[^\x20-\x7e]/g, '.'))
        .map((a) => (a.length > 60 ? `${a.slice(0, 57)}...` : a));
      this.entries.push({
        durationMicros: Number(entry[2]),
        at: new Date(Number(entry[1]) * 1000).toISOString(),
        command: shown.join(' ') + (args.length > 4 ? ` … (${args.length} args)` : ''),
        system,
      });
    }
  }

  /** The slowest command per system, if any was over the threshold. */
  slowest(): Record<string, SlowEntry> {
    const out: Record<string, SlowEntry> = {};
    for (const e of this.entries) {
      const best = out[e.system];
      if (!best || e.durationMicros > best.durationMicros) out[e.system] = e;
    }
    return out;
  }

  /** Per system, how many commands took over each of `limitsMs` (ms). */
  countsOver(limitsMs: readonly number[]): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const e of this.entries) {
      const counts = (out[e.system] ??= Object.fromEntries(limitsMs.map((ms) => [`${ms} ms`, 0])));
      for (const ms of limitsMs) if (e.durationMicros > ms * 1000) counts[`${ms} ms`]! += 1;
    }
    return out;
  }

  /** The slowest `count` entries of the run, slowest first. */
  top(count: number): SlowEntry[] {
    return [...this.entries].sort((a, b) => b.durationMicros - a.durationMicros).slice(0, count);
  }

  get thresholdMicros(): number {
    return THRESHOLD_MICROS;
  }

  /** Puts the original settings back; safe to call twice. */
  async restore(): Promise<void> {
    const original = this.original;
    if (!original) return;
    this.original = undefined;
    await this.redis.config('SET', 'slowlog-log-slower-than', original.slower);
    await this.redis.config('SET', 'slowlog-max-len', original.maxLen);
  }
}
