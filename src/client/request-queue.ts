import type { StatusChangeRequest } from '../protocol/client-frame.js';
import type { Ack } from '../protocol/server-frame.js';
import { RequestTimeoutError } from './errors.js';

/** What `changeStatus` resolves with: the `data` of the request's `ack` frame. */
export type AckData = Ack['data'];

type Timer = ReturnType<typeof setTimeout>;

interface Pending {
  readonly id: string;
  readonly text: string;
  readonly promise: Promise<AckData>;
  resolve(data: AckData): void;
  reject(error: Error): void;
  deadline: Timer;
  /** The next resend: after an unanswered attempt, or after an UNAVAILABLE reply. */
  retry: Timer | undefined;
  unavailableReplies: number;
}

export interface RequestQueueOptions {
  /** Sends a frame on the current connection; false when there is none to send it on. */
  send(text: string): boolean;
  /** How long one attempt waits for its ack before the same frame is sent again. */
  requestTimeoutMs: number;
  /** Delay before the nth resend after an UNAVAILABLE reply. */
  retryDelay(attempt: number): number;
}

/**
 * The status changes sent and not yet answered, by request id. Every resend carries the same id,
 * so the server applies a change once however often it arrives, and answers each copy with the
 * original ack. Only the first ack settles the promise.
 */
export class RequestQueue {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: RequestQueueOptions) {}

  get size(): number {
    return this.pending.size;
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  /**
   * Sends a request (or queues it until a connection is welcomed). A second call with an id that
   * is still pending gets the first call's promise: the server would answer it with that ack.
   */
  add(frame: StatusChangeRequest, deadlineMs: number): Promise<AckData> {
    const existing = this.pending.get(frame.id);
    if (existing) return existing.promise;
    let resolve!: (data: AckData) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<AckData>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const request: Pending = {
      id: frame.id,
      text: JSON.stringify(frame),
      promise,
      resolve,
      reject,
      deadline: setTimeout(
        () => this.fail(frame.id, new RequestTimeoutError(frame.id, deadlineMs)),
        deadlineMs,
      ),
      retry: undefined,
      unavailableReplies: 0,
    };
    this.pending.set(frame.id, request);
    this.transmit(request);
    return promise;
  }

  /** A connection was welcomed: sends every pending request, oldest first. */
  flush(): void {
    for (const request of this.pending.values()) this.transmit(request);
  }

  /** The connection is gone: stops resend timers until `flush`. Deadlines keep running. */
  pause(): void {
    for (const request of this.pending.values()) {
      clearTimeout(request.retry);
      request.retry = undefined;
    }
  }

  /** Settles the request with its ack; false if no request with that id is pending. */
  ack(id: string, data: AckData): boolean {
    const request = this.take(id);
    request?.resolve(data);
    return request !== undefined;
  }

  /** Rejects the request; false if no request with that id is pending. */
  fail(id: string, error: Error): boolean {
    const request = this.take(id);
    request?.reject(error);
    return request !== undefined;
  }

  /** The server could not take the request right now: sends it again later, same id. */
  unavailable(id: string): boolean {
    const request = this.pending.get(id);
    if (!request) return false;
    clearTimeout(request.retry);
    request.retry = setTimeout(
      () => this.transmit(request),
      this.options.retryDelay(request.unavailableReplies++),
    );
    return true;
  }

  rejectAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
  }

  private transmit(request: Pending): void {
    clearTimeout(request.retry);
    request.retry = undefined;
    if (!this.options.send(request.text)) return; // flush() sends it on the next connection
    request.retry = setTimeout(() => this.transmit(request), this.options.requestTimeoutMs);
  }

  private take(id: string): Pending | undefined {
    const request = this.pending.get(id);
    if (!request) return undefined;
    this.pending.delete(id);
    clearTimeout(request.deadline);
    clearTimeout(request.retry);
    return request;
  }
}
