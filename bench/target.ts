/** What a system under test reports about each change it was given. */
export interface TargetEvents {
  /** The acting party got its completion reply (exam-relay: the supervisor's `ack`). */
  ack(id: string, at: number): void;
  /** The change reached its final receiver (exam-relay: the examinee's `status_change`). */
  delivered(id: string, at: number): void;
  /** The system refused the change (an `error` frame); the change will not complete. */
  failed(id: string, reason: string): void;
}

/**
 * A system the load generators drive: exam-relay over WebSockets, or the raw amqplib
 * baseline. Times are `performance.now()` milliseconds of the bench process.
 */
export interface Target {
  readonly name: string;
  /** True when a change completes only once acked as well as delivered. */
  readonly acks: boolean;
  listen(events: TargetEvents): void;
  /** Starts change number `index` with the unique id `id`. */
  send(id: string, index: number): void;
}
