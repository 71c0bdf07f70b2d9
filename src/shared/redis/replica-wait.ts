import type { Redis } from 'ioredis';
import { UnavailableError } from '../errors.js';

/** What a replica answers to the fence (INCR) and to WAIT. */
const DEMOTED = /^(READONLY|ERR WAIT cannot be used with replica)/;

/** Fewer replicas than asked for hold the writes (or the connection changed under them). */
export class ReplicaWaitError extends UnavailableError {}

/**
 * Redis `WAIT` made safe to trust: "the writes made since `mark()` are held by `replicas`
 * replicas". WAIT counts the replicas that have the replication stream up to the last write
 * of the calling connection, so two things are added:
 *
 * - a fence: one tiny write (INCR) right before WAIT, on the same connection. WAIT then
 *   covers every earlier write of the primary, whoever made it: a script that found its work
 *   done by an earlier attempt (another state manager's, or one before a reconnect) writes
 *   nothing, and a new connection has written nothing at all.
 * - the connection: if it was replaced between `mark()` and the reply (ioredis resends
 *   commands in flight to the new connection, which may be a newly promoted primary), the
 *   reply speaks for the new primary's data, not for the writes made before, which that
 *   primary may never have received. That is a failure too; the caller applies the writes
 *   again (idempotently) and waits again.
 *
 * The WAIT blocks the connection it runs on for up to `timeoutMs` when a replica lags.
 */
export class ReplicaWait {
  private connection = 0;
  private inFlight: Promise<number> | undefined;
  private next: Promise<number> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly fenceKey: string,
    readonly replicas: number,
    readonly timeoutMs: number,
  ) {
    redis.on('ready', this.onReady);
  }

  private readonly onReady = () => {
    this.connection += 1;
  };

  /** Call before the writes that `confirm` must cover. */
  mark(): number {
    return this.connection;
  }

  /** Resolves when `replicas` replicas hold everything written since `mark`; else throws. */
  async confirm(mark: number): Promise<void> {
    const acked = await this.shared();
    if (this.connection !== mark) {
      throw new ReplicaWaitError('the Redis connection changed before the writes were confirmed');
    }
    if (acked < this.replicas) {
      throw new ReplicaWaitError(
        `${acked} of ${this.replicas} Redis replicas acknowledged the writes within ${this.timeoutMs} ms`,
      );
    }
  }

  /**
   * One fence and WAIT at a time, shared: a caller whose writes are done joins the next one to
   * be sent (the one in flight may have left before those writes), so however many exams'
   * batches finish together, the connection carries at most one WAIT and one waiting to go.
   */
  private shared(): Promise<number> {
    if (!this.inFlight) {
      const sent = this.fenceAndWait().finally(() => {
        if (this.inFlight === sent) this.inFlight = undefined;
      });
      this.inFlight = sent;
      return sent;
    }
    this.next ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.shared();
      });
    return this.next;
  }

  private async fenceAndWait(): Promise<number> {
    const [, acked] = await Promise.all([
      this.redis.incr(this.fenceKey),
      this.redis.wait(this.replicas, this.timeoutMs),
    ]).catch((err: unknown) => {
      // A primary demoted under the connection refuses both; ioredis reconnects on READONLY.
      if (err instanceof Error && DEMOTED.test(err.message)) {
        throw new ReplicaWaitError(`the Redis node is a replica now: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    });
    return acked;
  }

  close(): void {
    this.redis.off('ready', this.onReady);
  }
}
