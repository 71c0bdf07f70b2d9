import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';
import { readEpoch } from '../shared/redis/commands.js';
import { readSet } from '../shared/redis/scan.js';
import { StatusRecord, WideFrameRef, WideFrameTemplate } from '../shared/redis/records.js';
import {
  fillExamineeFrame,
  SNAPSHOT_MAX_EXAMINEES,
  type ExamineeFrameTemplate,
  type ExamStatus,
  type Identity,
  type Snapshot,
} from '../protocol/index.js';

export interface HistoryFrame {
  seq: number;
  /** The frame's JSON text, exactly as stored by the state manager. */
  text: string;
}

/** Where a client is when it connects: the numbering, its last seq, its current status. */
export interface WelcomeState {
  epoch: string;
  seq: number;
  status: ExamStatus | null;
}

/**
 * Read-only access to what the state manager wrote: each client's stream (an examinee's own,
 * or its exam's for a supervisor, who sees every change of the exam), statuses and snapshots.
 */
export class History {
  /** The last epoch read: every session of the numbering holds this one string, not a copy. */
  private epoch = '';

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private stream(identity: Identity): { seq: string; history: string } {
    const k = this.keys;
    return identity.role === 'supervisor'
      ? { seq: k.examSeq(identity.examId), history: k.examHistory(identity.examId) }
      : { seq: k.clientSeq(identity.clientId), history: k.clientHistory(identity.clientId) };
  }

  /** The epoch, last seq and current status, read in one round trip. */
  async welcome(identity: Identity): Promise<WelcomeState> {
    const k = this.keys;
    const [epoch, seq, own, exam] = await Promise.all([
      readEpoch(this.redis, k.epoch()),
      this.redis.get(this.stream(identity).seq),
      identity.role === 'examinee'
        ? this.redis.hmget(k.examineeStatus(identity.clientId), ...StatusRecord.fields)
        : Promise.resolve([]),
      this.redis.hmget(k.examStatus(identity.examId), ...StatusRecord.fields),
    ]);
    if (epoch !== this.epoch) this.epoch = epoch;
    return {
      epoch: this.epoch,
      seq: Number(seq ?? 0),
      status: StatusRecord.current(StatusRecord.decode(own), StatusRecord.decode(exam)),
    };
  }

  /**
   * Stored frames with seq > `afterSeq`, oldest first (at most `limit`; fewer only when no more
   * are stored). An exam-wide change's entry refers to the exam's wide-frames set, read in the
   * same pass (one more round trip when there is any); an entry whose frame is no longer kept
   * there is left out, which the caller sees as a gap.
   */
  async after(identity: Identity, afterSeq: number, limit = 1000): Promise<HistoryFrame[]> {
    const frames: HistoryFrame[] = [];
    for (let after = afterSeq; ;) {
      const wanted = limit - frames.length;
      const entries = await this.entries(identity, after, wanted);
      frames.push(...(await this.resolve(identity, entries)));
      const last = entries[entries.length - 1];
      // A short page is the end; a full one that lost entries (frames no longer kept) reads on.
      if (!last || entries.length < wanted || frames.length >= limit) return frames;
      after = last.seq;
    }
  }

  private async entries(
    identity: Identity,
    afterSeq: number,
    limit: number,
  ): Promise<HistoryFrame[]> {
    const flat = await this.redis.zrangebyscore(
      this.stream(identity).history,
      `(${afterSeq}`,
      '+inf',
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const entries: HistoryFrame[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      entries.push({ text: flat[i] as string, seq: Number(flat[i + 1]) });
    }
    return entries;
  }

  /** Each entry as the client's frame: references filled in from their exams' wide frames. */
  private async resolve(identity: Identity, entries: HistoryFrame[]): Promise<HistoryFrame[]> {
    const refs = entries.map(({ text }) => WideFrameRef.decode(text));
    const spans = new Map<string, { min: number; max: number }>();
    for (const ref of refs) {
      if (!ref) continue;
      const span = spans.get(ref.examId);
      if (span) {
        span.min = Math.min(span.min, ref.examSeq);
        span.max = Math.max(span.max, ref.examSeq);
      } else spans.set(ref.examId, { min: ref.examSeq, max: ref.examSeq });
    }
    if (spans.size === 0) return entries;
    const templates = new Map<string, Map<number, ExamineeFrameTemplate>>();
    await Promise.all(
      [...spans].map(async ([examId, { min, max }]) => {
        const flat = await this.redis.zrangebyscore(
          this.keys.examWideFrames(examId),
          min,
          max,
          'WITHSCORES',
        );
        const byExamSeq = new Map<number, ExamineeFrameTemplate>();
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const template = WideFrameTemplate.decode(flat[i] as string);
          if (template) byExamSeq.set(Number(flat[i + 1]), template);
        }
        templates.set(examId, byExamSeq);
      }),
    );
    const frames: HistoryFrame[] = [];
    entries.forEach(({ text, seq }, i) => {
      const ref = refs[i];
      const template = ref && templates.get(ref.examId)?.get(ref.examSeq);
      if (!ref) frames.push({ text, seq });
      else if (template)
        frames.push({ text: fillExamineeFrame(template, seq, identity.clientId), seq });
    });
    return frames;
  }

  /**
   * The exam as it stands, for this client: a supervisor sees every examinee the exam has
   * seen (up to SNAPSHOT_MAX_EXAMINEES), an examinee only itself.
   */
  async snapshot(identity: Identity): Promise<Snapshot['data']> {
    const k = this.keys;
    const all =
      identity.role === 'supervisor'
        ? (await readSet(this.redis, k.examExaminees(identity.examId))).sort()
        : [identity.clientId];
    const listed = all.slice(0, SNAPSHOT_MAX_EXAMINEES);
    const pipeline = this.redis.pipeline();
    pipeline.hmget(k.examStatus(identity.examId), ...StatusRecord.fields);
    for (const id of listed) {
      pipeline.exists(k.clientConnections(id));
      pipeline.hmget(k.examineeStatus(id), ...StatusRecord.fields);
    }
    const results = (await pipeline.exec()) ?? [];
    const value = (i: number): unknown => {
      const [err, v] = results[i] ?? [new Error('pipeline discarded'), undefined];
      if (err) throw err;
      return v;
    };
    const exam = StatusRecord.decode(value(0) as (string | null)[]);
    return {
      examId: identity.examId,
      status: StatusRecord.current(null, exam),
      examinees: listed.map((clientId, i) => ({
        clientId,
        online: value(1 + i * 2) === 1,
        status: StatusRecord.current(
          StatusRecord.decode(value(2 + i * 2) as (string | null)[]),
          exam,
        ),
      })),
      truncated: all.length > listed.length,
    };
  }
}
