export interface AckTimerOptions {
  /** Called with the seconds from a request's receipt to its ack. */
  observe: (seconds: number) => void;
  /** Requests remembered at most (the oldest are forgotten first). Default 10000. */
  maxPending?: number;
  /** A request not acked this long is forgotten (it failed, or its ack went elsewhere). Default 5 min. */
  maxAgeMs?: number;
  /** Milliseconds, monotonic. Default `performance.now`. */
  now?: () => number;
}

/**
 * End-to-end ack time as this socket server sees it: from receiving a supervisor's
 * `status_change` to sending its `ack`. The first receipt of a request id counts (a resend of
 * the same id waits for the same ack); the ack of a request received elsewhere is not timed
 * here. Bounded in count and age, so requests that never get an ack cost nothing for long.
 */
export class AckTimer {
  private readonly received = new Map<string, number>();
  private readonly observe: (seconds: number) => void;
  private readonly maxPending: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: AckTimerOptions) {
    this.observe = options.observe;
    this.maxPending = options.maxPending ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** A supervisor's status change arrived on one of its sockets here. */
  start(supervisorId: string, requestId: string): void {
    const key = `${supervisorId}\n${requestId}`;
    if (this.received.has(key)) return;
    const now = this.now();
    // Map order is arrival order: forget from the front.
    for (const [oldest, at] of this.received) {
      if (this.received.size < this.maxPending && now - at <= this.maxAgeMs) break;
      this.received.delete(oldest);
    }
    this.received.set(key, now);
  }

  /** Its ack is being sent to the supervisor's sockets here. */
  acked(supervisorId: string, requestId: string): void {
    const key = `${supervisorId}\n${requestId}`;
    const at = this.received.get(key);
    if (at === undefined) return;
    this.received.delete(key);
    this.observe((this.now() - at) / 1000);
  }

  /** Requests waiting for their ack. */
  get pending(): number {
    return this.received.size;
  }
}
