import { round, sleep, summarize, type LatencySummary } from './stats.js';
import type { Target } from './target.js';

interface Pending {
  /** When the schedule wanted it sent (open loop); equals `sentAt` in the closed loop. */
  scheduledAt: number;
  sentAt: number;
  ackAt?: number;
  deliveredAt?: number;
}

/** Follows changes by id until acked (if the target acks) and delivered. */
class Tracker {
  readonly open = new Map<string, Pending>();
  readonly errors = new Map<string, number>();
  failed = 0;

  constructor(
    private readonly target: Target,
    private readonly onComplete: (p: Pending & { doneAt: number }) => void,
    private readonly onFailed: () => void = () => undefined,
  ) {
    target.listen({
      ack: (id, at) => this.mark(id, (p) => (p.ackAt ??= at)),
      delivered: (id, at) => this.mark(id, (p) => (p.deliveredAt ??= at)),
      failed: (id, reason) => {
        if (!this.open.delete(id)) return;
        this.failed += 1;
        this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
        this.onFailed();
      },
    });
  }

  send(id: string, index: number, scheduledAt: number): void {
    const sentAt = performance.now();
    this.open.set(id, { scheduledAt, sentAt });
    this.target.send(id, index);
  }

  private mark(id: string, set: (p: Pending) => void): void {
    const p = this.open.get(id);
    if (!p) return; // a late event of an earlier phase, or an unknown id
    set(p);
    if (p.deliveredAt === undefined || (this.target.acks && p.ackAt === undefined)) return;
    this.open.delete(id);
    this.onComplete({ ...p, doneAt: Math.max(p.deliveredAt, p.ackAt ?? 0) });
  }

  /** Resolves when nothing is open, or after `ms`. */
  async drain(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.open.size > 0 && performance.now() < deadline) await sleep(20);
  }
}

export interface ClosedLoopResult {
  concurrency: number;
  /** Changes completed per second inside the counted window. */
  throughput: number;
  completed: number;
  /** Completions of the whole level (warmup and drain too): what its CPU time paid for. */
  completedInPhase: number;
  seconds: number;
  /** Send → completion (ack and delivery) of the counted changes. */
  latencyMs: LatencySummary | undefined;
  failed: number;
  errors: Record<string, number>;
  /** Changes still open when the drain after the level gave up. */
  leftOpen: number;
}

/**
 * Keeps `concurrency` changes in flight: each completion (or failure) starts the next. Counts
 * completions during `seconds` after a warmup, then stops sending and drains.
 */
export async function closedLoop(
  target: Target,
  options: {
    concurrency: number;
    warmupSeconds: number;
    seconds: number;
    drainSeconds: number;
    idPrefix: string;
  },
): Promise<ClosedLoopResult> {
  let index = 0;
  let counting = false;
  let stopped = false;
  let completed = 0;
  let completedInPhase = 0;
  const latencies: number[] = [];
  const next = () => {
    if (stopped) return;
    const i = index++;
    tracker.send(`${options.idPrefix}-${i}`, i, performance.now());
  };
  const tracker = new Tracker(
    target,
    (p) => {
      completedInPhase += 1;
      if (counting) {
        completed += 1;
        latencies.push(p.doneAt - p.sentAt);
      }
      next();
    },
    next,
  );
  for (let i = 0; i < options.concurrency; i++) next();
  await sleep(options.warmupSeconds * 1000);
  counting = true;
  const started = performance.now();
  await sleep(options.seconds * 1000);
  counting = false;
  const seconds = (performance.now() - started) / 1000;
  stopped = true;
  await tracker.drain(options.drainSeconds * 1000);
  return {
    concurrency: options.concurrency,
    throughput: round(completed / seconds, 1),
    completed,
    completedInPhase,
    seconds: round(seconds, 2),
    latencyMs: summarize(latencies),
    failed: tracker.failed,
    errors: Object.fromEntries(tracker.errors),
    leftOpen: tracker.open.size,
  };
}

export interface OpenLoopResult {
  targetRate: number;
  scheduled: number;
  sent: number;
  /** Sent / schedule length: below the target rate only if the generator itself fell behind. */
  sentRate: number;
  completed: number;
  /** Completed / (last completion − schedule start). */
  completedRate: number;
  /** Scheduled time → examinee (final receiver) got it: includes any queueing the schedule saw. */
  deliverMs: LatencySummary | undefined;
  /** Scheduled time → supervisor got its ack (exam-relay only). */
  ackMs: LatencySummary | undefined;
  /** The same two, from the moment the bench actually sent (hides generator lag). */
  deliverFromSendMs: LatencySummary | undefined;
  ackFromSendMs: LatencySummary | undefined;
  /** How late the generator sent versus its schedule. */
  sendLagMs: LatencySummary | undefined;
  /** Not complete when the drain gave up, split by what was missing. */
  incomplete: { total: number; noAck: number; noDelivery: number; neither: number };
  failed: number;
  errors: Record<string, number>;
}

/**
 * Sends on a fixed schedule (`rate` per second for `seconds`) whatever the responses do, so a
 * stall shows up as latency of every change scheduled during it (no coordinated omission).
 * Latency is measured from each change's scheduled time.
 */
export async function openLoop(
  target: Target,
  options: { rate: number; seconds: number; drainSeconds: number; idPrefix: string },
): Promise<OpenLoopResult> {
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const deliver: number[] = [];
  const ack: number[] = [];
  const deliverFromSend: number[] = [];
  const ackFromSend: number[] = [];
  const lag: number[] = [];
  let completed = 0;
  let lastDone = 0;
  const tracker = new Tracker(target, (p) => {
    completed += 1;
    lastDone = Math.max(lastDone, p.doneAt);
    if (p.deliveredAt !== undefined) {
      deliver.push(p.deliveredAt - p.scheduledAt);
      deliverFromSend.push(p.deliveredAt - p.sentAt);
    }
    if (p.ackAt !== undefined) {
      ack.push(p.ackAt - p.scheduledAt);
      ackFromSend.push(p.ackAt - p.sentAt);
    }
  });
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      while (sent < due) {
        const scheduledAt = start + sent * interval;
        lag.push(performance.now() - scheduledAt);
        tracker.send(`${options.idPrefix}-${sent}`, sent, scheduledAt);
        sent += 1;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const scheduleSeconds = (performance.now() - start) / 1000;
  await tracker.drain(options.drainSeconds * 1000);
  const incomplete = { total: tracker.open.size, noAck: 0, noDelivery: 0, neither: 0 };
  for (const p of tracker.open.values()) {
    const acked = !target.acks || p.ackAt !== undefined;
    if (!acked && p.deliveredAt === undefined) incomplete.neither += 1;
    else if (!acked) incomplete.noAck += 1;
    else incomplete.noDelivery += 1;
  }
  return {
    targetRate: options.rate,
    scheduled: total,
    sent,
    sentRate: round(sent / Math.max(scheduleSeconds, options.seconds), 1),
    completed,
    completedRate: round(completed / Math.max(0.001, (lastDone - start) / 1000), 1),
    deliverMs: summarize(deliver),
    ackMs: target.acks ? summarize(ack) : undefined,
    deliverFromSendMs: summarize(deliverFromSend),
    ackFromSendMs: target.acks ? summarize(ackFromSend) : undefined,
    sendLagMs: summarize(lag),
    incomplete,
    failed: tracker.failed,
    errors: Object.fromEntries(tracker.errors),
  };
}
