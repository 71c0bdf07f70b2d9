import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';

export interface HistoryFrame {
  seq: number;
  /** The frame's JSON text, exactly as stored by the state manager. */
  text: string;
}

/** Read-only access to a client's seq counter and replay history (written by the state manager). */
export class History {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The last seq given to any frame for this client (0 if none). */
  async currentSeq(clientId: string): Promise<number> {
    return Number((await this.redis.get(this.keys.clientSeq(clientId))) ?? 0);
  }

  /** Stored frames with seq > `afterSeq`, oldest first (at most `limit`). */
  async after(clientId: string, afterSeq: number, limit = 1000): Promise<HistoryFrame[]> {
    const flat = await this.redis.zrangebyscore(
      this.keys.clientHistory(clientId),
      `(${afterSeq}`,
      '+inf',
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const frames: HistoryFrame[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      frames.push({ text: flat[i] as string, seq: Number(flat[i + 1]) });
    }
    return frames;
  }
}
