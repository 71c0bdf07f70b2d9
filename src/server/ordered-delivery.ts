import type { Logger } from '../shared/logger.js';
import { backoff } from '../shared/backoff.js';
import type { HistoryFrame } from './history.js';

/**
 * One frame's JSON text, or its UTF-8 bytes: a frame many sockets send alike (the exam's
 * supervisors all get a change with the same seq) is encoded once, not once per socket.
 */
export type FrameText = string | Buffer;

/**
 * Where a connection's ordered stream comes from and goes to: the session itself, so a
 * socket holds no closures for it.
 */
export interface DeliverySink {
  readonly clientId: string;
  readonly log: Logger;
  /** Reads the client's stored frames after a seq, oldest first (at most 1000). */
  read(afterSeq: number): Promise<HistoryFrame[]>;
  /**
   * The numbering changed (Redis lost the counters): tell the client (resync and snapshot in
   * `epoch`) and return the seq the new numbering continues after.
   */
  rebase(epoch: string): Promise<number>;
  /** Sends one frame's JSON text to the client. */
  sendFrame(text: FrameText, replayed: boolean): void;
  /** Tells the client the history cannot cover (fromSeq, toSeq]. */
  resync(fromSeq: number, toSeq: number): void;
}

/** How long an out-of-order frame waits for the gap to fill live before reading history. */
const GAP_WAIT_MS = 200;

/** No frame waiting: most connections, most of the time, hold no map of their own. */
const NONE: ReadonlyMap<number, FrameText> = new Map();

/**
 * Per-connection ordering of `status_change` frames: sends seq cursor+1, cursor+2, … with no
 * gaps and no repeats. A frame whose seq the client already has is dropped (a redelivered bus
 * message); a frame that arrives early waits while the gap is filled from Redis history. The
 * same history read serves `hello.resume`, catch-up after a broker reconnect, and the
 * state manager's `connected` reply.
 */
export class OrderedDelivery {
  private rebasing: Promise<void> | undefined;
  /** Frames that arrived ahead of the cursor, by seq; created when the first one does. */
  private early: Map<number, FrameText> | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private filling: Promise<void> | undefined;
  private refillAfter = false;
  private failures = 0;
  private closed = false;

  /**
   * `cursor` is the last seq the client has, in numbering `epoch`; frames after it are sent in
   * order. `gapWaitMs`: how long an out-of-order frame waits for the gap to fill live before
   * history is read.
   */
  constructor(
    private readonly sink: DeliverySink,
    public cursor: number,
    public epoch: string,
    private readonly gapWaitMs = GAP_WAIT_MS,
  ) {}

  /** The frames waiting for their turn (read-only; `hold` adds one). */
  private get pending(): ReadonlyMap<number, FrameText> {
    return this.early ?? NONE;
  }

  private hold(seq: number, text: FrameText): void {
    (this.early ??= new Map()).set(seq, text);
  }

  /**
   * Offers a live frame of `epoch`; returns false if the client already has that seq. A frame
   * of another epoch first moves the client to that numbering, so restarted counters are not
   * taken for duplicates.
   */
  offer(seq: number, text: FrameText, epoch = this.epoch): boolean {
    if (epoch !== this.epoch) this.rebase(epoch);
    if (this.rebasing) {
      this.hold(seq, text);
      return true;
    }
    if (seq <= this.cursor || this.pending.has(seq)) return false;
    if (seq === this.cursor + 1 && this.early === undefined) {
      // The next frame with none waiting, as almost every live frame is: sent without a map
      // (344 bytes a frame and socket otherwise, 2026-12-07). A gap timer or a history read
      // under way is left as it is: the frames it waits for are still after this one.
      this.cursor = seq;
      this.sink.sendFrame(text, false);
      return true;
    }
    this.hold(seq, text);
    this.drain(false);
    return true;
  }

  /** Makes sure the client gets everything up to `seq` (from history if it never came live). */
  syncTo(seq: number, epoch = this.epoch): void {
    if (epoch !== this.epoch) this.rebase(epoch);
    else if (seq > this.cursor) void this.fill();
  }

  private rebase(epoch: string): void {
    this.epoch = epoch;
    this.early = undefined;
    const attempt = (n: number): Promise<void> =>
      this.sink.rebase(epoch).then(
        (cursor) => {
          if (this.epoch !== epoch) return;
          this.cursor = cursor;
          for (const seq of this.pending.keys()) if (seq <= cursor) this.early?.delete(seq);
        },
        async (err: unknown) => {
          const delay = backoff(n, { base: 200, cap: 5000 });
          this.sink.log.warn({ err, retryInMs: Math.round(delay) }, 'rebase failed');
          await new Promise((resolve) => setTimeout(resolve, delay));
          if (!this.closed && this.epoch === epoch) return attempt(n + 1);
        },
      );
    const rebasing = attempt(0).finally(() => {
      if (this.rebasing !== rebasing) return;
      this.rebasing = undefined;
      this.drain(false);
      void this.fill();
    });
    this.rebasing = rebasing;
  }

  /** Reads history after the cursor and delivers it; one read at a time, coalesced. */
  fill(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.filling) {
      this.refillAfter = true;
      return this.filling;
    }
    this.filling = this.readHistory().finally(() => {
      this.filling = undefined;
      if (this.refillAfter) {
        this.refillAfter = false;
        void this.fill();
      }
    });
    return this.filling;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.gapTimer);
    this.early = undefined;
  }

  private drain(replayed: boolean): void {
    let text: FrameText | undefined;
    while ((text = this.pending.get(this.cursor + 1)) !== undefined) {
      this.early?.delete(this.cursor + 1);
      this.cursor += 1;
      this.sink.sendFrame(text, replayed);
    }
    if (this.early?.size === 0) this.early = undefined;
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    if (this.pending.size > 0 && !this.closed) {
      this.gapTimer = setTimeout(() => void this.fill(), this.gapWaitMs);
    }
  }

  private async readHistory(): Promise<void> {
    const { clientId, log } = this.sink;
    try {
      if (this.rebasing) await this.rebasing;
      for (;;) {
        const epoch = this.epoch;
        const frames = await this.sink.read(this.cursor);
        if (this.closed || this.rebasing || epoch !== this.epoch) return;
        this.failures = 0;
        const first = frames[0];
        const earliestPending = Math.min(...this.pending.keys());
        const nextKnown = first ? Math.min(first.seq, earliestPending) : earliestPending;
        if (Number.isFinite(nextKnown) && nextKnown > this.cursor + 1) {
          // Trimmed or expired: the client must fetch fresh state for what is missing.
          this.sink.resync(this.cursor, nextKnown - 1);
          this.cursor = nextKnown - 1;
        }
        for (const frame of frames) {
          if (frame.seq > this.cursor && !this.pending.has(frame.seq))
            this.hold(frame.seq, frame.text);
        }
        this.drain(true);
        if (frames.length < 1000) return;
      }
    } catch (err) {
      // Redis unreachable: try again later; live frames keep waiting in order meanwhile.
      const delay = backoff(this.failures++, { base: 200, cap: 5000 });
      log.warn({ clientId, err, retryInMs: Math.round(delay) }, 'history read failed');
      clearTimeout(this.gapTimer);
      this.gapTimer = setTimeout(() => void this.fill(), delay);
    }
  }
}
