/**
 * How far this state manager has heard `status_queue`'s heartbeat partition. State managers
 * put a tick with their own time on it every second; consuming a tick published at T proves
 * every heartbeat published before T has been handled. A server is silent only if its last
 * heartbeat is older than what we have heard: a broker or Redis outage, or a backlog in the
 * queue, holds the clock back instead of making live servers look DOWN.
 */
export class Clock {
  private heard: string | undefined;
  private heardLocal = 0;

  /** A tick (or heartbeat) published at `timestamp` was consumed. */
  heardUpTo(timestamp: string): void {
    if (this.heard === undefined || timestamp > this.heard) this.heard = timestamp;
    this.heardLocal = Date.now();
  }

  /** Forgets what was heard: consumption stopped (channel lost), so nothing is proven. */
  reset(): void {
    this.heard = undefined;
  }

  /** The time up to which the partition is heard, if it is being heard at all. */
  heardAt(): string | undefined {
    return this.heard;
  }

  /** True if ticks are arriving now (the last one was consumed within `withinMs`). */
  current(withinMs: number): boolean {
    return this.heard !== undefined && Date.now() - this.heardLocal <= withinMs;
  }
}
