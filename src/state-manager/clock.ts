/**
 * How far this state manager has heard `status_queue`'s heartbeat partition. State managers
 * put a tick with their own time on it every second; consuming a tick published at T proves
 * every heartbeat published before T has been handled. A server is silent only if its last
 * heartbeat is older than what we have heard: a broker or Redis outage, or a backlog in the
 * queue, holds the clock back instead of making live servers look DOWN.
 *
 * After consumption was lost (the state manager's own link, or the broker itself, went), the
 * servers may not have been able to publish either: they reconnect on their own backoff, up
 * to `resumeAllowanceMs` after this state manager does. Silence is then counted from the
 * resumption plus that allowance, not from a heartbeat the outage kept them from sending.
 */
export class Clock {
  private heard: string | undefined;
  private heardLocal = 0;
  /** Heartbeats older than this do not count as silence (set on resuming after a loss). */
  private judgeFrom: string | undefined;
  private lost = false;

  constructor(private readonly resumeAllowanceMs = 0) {}

  /** A tick (or heartbeat) published at `timestamp` was consumed. */
  heardUpTo(timestamp: string): void {
    if (this.lost) {
      // From now, not from the tick: the first one heard may have waited out the outage in
      // the queue.
      this.lost = false;
      const resumed = Math.max(Date.parse(timestamp), Date.now());
      this.judgeFrom = new Date(resumed + this.resumeAllowanceMs).toISOString();
    }
    if (this.heard === undefined || timestamp > this.heard) this.heard = timestamp;
    this.heardLocal = Date.now();
  }

  /** Forgets what was heard: consumption stopped (channel lost), so nothing is proven. */
  reset(): void {
    this.heard = undefined;
    this.lost = true;
  }

  /** The time up to which the partition is heard, if it is being heard at all. */
  heardAt(): string | undefined {
    return this.heard;
  }

  /**
   * The time before which a server's last heartbeat means it is silent (`silentAfterMs`
   * before what is heard), or undefined while nothing can be judged: ticks are not arriving
   * now (none consumed within `currentWithinMs`), or the allowance after a resumption is not
   * yet over.
   */
  silenceCutoff(silentAfterMs: number, currentWithinMs: number): string | undefined {
    if (this.heard === undefined || Date.now() - this.heardLocal > currentWithinMs)
      return undefined;
    const cutoff = new Date(Date.parse(this.heard) - silentAfterMs).toISOString();
    if (this.judgeFrom !== undefined && cutoff < this.judgeFrom) return undefined;
    return cutoff;
  }
}
