import type { Redis } from 'ioredis';
import { CLEANUP_CLIENT_NAME } from '../test/helpers/env.js';

/** One SLOWLOG entry: how long one command held Redis, and what it was. */
export interface SlowEntry {
  durationMicros: number;
  command: string;
  /** Which system's namespace the command's arguments name, or `other` (Redis is shared). */
  system: string;
}

/** Commands slower than this are logged during the run (µs). */
const THRESHOLD_MICROS = 1000;
const MAX_LEN = 1024;

/**
 * Redis's SLOWLOG over the run. Redis is shared with other users of the machine, so the bench
 * reads the two settings it changes first and puts them back (`restore`, also on SIGINT);
 * entries are attributed to a system by the namespace in their arguments.
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

  /** Reads and clears what was logged since the last read; `systems` maps namespace → name. */
  async collect(systems: Record<string, string>): Promise<void> {
    const raw = (await this.redis.call('SLOWLOG', 'GET', String(MAX_LEN))) as unknown[][];
    await this.redis.call('SLOWLOG', 'RESET');
    for (const entry of raw) {
      const args = (entry[3] as unknown[]).map(String);
      // The bench's own SLOWLOG RESET can take a moment on a long log, and the cleanup after a
      // system deletes its keys: neither is a command of the system.
      if (args[0]?.toUpperCase() === 'SLOWLOG') continue;
      if (String(entry[5] ?? '') === CLEANUP_CLIENT_NAME) continue;
      const system =
        Object.entries(systems).find(([ns]) => args.some((a) => a.includes(ns)))?.[1] ?? 'other';
      // Socket.IO's adapter publishes msgpack: show printable characters only.
      const shown = args
        .slice(0, 4)
        .map((a) => a.replace(/[^\x20-\x7e]/g, '.'))
        .map((a) => (a.length > 60 ? `${a.slice(0, 57)}...` : a));
      this.entries.push({
        durationMicros: Number(entry[2]),
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
