import { Writable } from 'node:stream';
import { coalesceWrites } from './coalesce-writes.js';
import { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import { maskUrl } from '../logger.js';
import { backoff, sleep } from '../backoff.js';
import { ClosedError, relayErrorWith } from '../errors.js';
import { isFatalConnectionError } from './reply-codes.js';

export type ConnectionStatus =
  'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

/**
 * An AMQP error retrying cannot fix: credentials refused, a vhost not allowed, a topology
 * conflict in a channel's setup. Its `cause` is amqplib's error with the reply `code`.
 */
export class AmqpFatalError extends relayErrorWith('AMQP_FATAL') {}

export interface AmqpConnectionOptions {
  /** The nodes of one cluster (`AMQP_URL` as parsed), or one URL for a single node. */
  urls: readonly string[];
  /** Index in `urls` of the node to try first. Default random, so processes spread. */
  firstNode?: number;
  /** Shown in the broker's connection list, e.g. `exam-relay serverA`. */
  name: string;
  logger: Logger;
  /** Heartbeat in seconds, unless the URL sets one. Default 5: a dead broker is noticed in ~10 s. */
  heartbeatSeconds?: number;
}

type Listener = (model: ChannelModel) => void;

/** The longest wait between two connection attempts (backoff with full jitter below it). */
export const RECONNECT_MAX_DELAY_MS = 5000;

/**
 * One AMQP connection that reconnects forever with backoff and jitter until `close()`, to the
 * nodes of `urls` in turn: it starts at a random one, and when a connect fails or the
 * connection is lost it moves on to the next (round robin). A small state machine (`connecting → ready → reconnecting → … → closing → closed`) whose
 * transitions are logged in one place. Channels built on it (`ManagedChannel`) reopen and
 * re-run their setup after every reconnect, like amqp-connection-manager's `addSetup`.
 */
export class AmqpConnection extends EventEmitter<{
  ready: [ChannelModel];
  lost: [];
  status: [ConnectionStatus];
  fatal: [AmqpFatalError];
}> {
  private state: ConnectionStatus = 'idle';
  private model: ChannelModel | undefined;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private loop: Promise<void> | undefined;
  private node: number;
  private fatalError: AmqpFatalError | undefined;

  constructor(private readonly options: AmqpConnectionOptions) {
    super();
    if (options.urls.length === 0) throw new RangeError('AmqpConnection needs at least one URL');
    this.log = options.logger.child({ module: 'amqp', connection: options.name });
    this.node = options.firstNode ?? Math.floor(Math.random() * options.urls.length);
    this.node %= options.urls.length;
  }

  /** The node connected to, or tried next, with its password masked. */
  get nodeUrl(): string {
    return maskUrl(this.url());
  }

  /** The live connection, if ready. */
  get current(): ChannelModel | undefined {
    return this.state === 'ready' ? this.model : undefined;
  }

  /** Starts connecting; resolves once the first connection is ready. */
  async start(): Promise<void> {
    if (this.fatalError) throw this.fatalError;
    if (this.state === 'closing' || this.state === 'closed')
      throw new ClosedError('connection closed');
    this.loop ??= this.run();
    if (this.state === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        this.off('fatal', onFatal);
        resolve();
      };
      const onFatal = (err: AmqpFatalError) => {
        this.off('ready', onReady);
        reject(err);
      };
      this.once('ready', onReady);
      this.once('fatal', onFatal);
    });
  }

  /** Calls `listener` now if ready and after every (re)connect. Returns a remover. */
  onReady(listener: Listener): () => void {
    this.on('ready', listener);
    if (this.model && this.state === 'ready') listener(this.model);
    return () => this.off('ready', listener);
  }

  /**
   * Calls `listener` once with the fatal error, now if one was already reported. Returns a
   * remover.
   */
  onFatal(listener: (err: AmqpFatalError) => void): () => void {
    if (this.fatalError) {
      const err = this.fatalError;
      queueMicrotask(() => listener(err));
      return () => undefined;
    }
    this.once('fatal', listener);
    return () => this.off('fatal', listener);
  }

  /**
   * Reports an error retrying cannot fix (credentials refused on reconnect, a topology
   * conflict in a channel's setup): stops reconnecting and emits `fatal` once. The role's
   * process then exits 1 (shared/lifecycle.ts `installShutdown`).
   */
  fail(err: AmqpFatalError): void {
    if (this.fatalError || this.status === 'closing' || this.status === 'closed') return;
    this.fatalError = err;
    this.log.error({ err, node: this.nodeUrl }, `fatal amqp error: ${err.message}`);
    this.abort.abort();
    this.emit('fatal', err);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setStatus('closing');
    this.abort.abort();
    const model = this.model;
    this.model = undefined;
    if (model) await model.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    this.setStatus('closed');
  }

  /** `connecting → ready → reconnecting → … → closing → closed`; read-only outside. */
  get status(): ConnectionStatus {
    return this.state;
  }

  /** The one place the status changes; every transition is logged and emitted. */
  private setStatus(status: ConnectionStatus): void {
    if (this.state === status) return;
    this.log.info({ from: this.state, to: status, node: this.nodeUrl }, 'amqp connection status');
    this.state = status;
    this.emit('status', status);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      this.setStatus(attempt === 0 && !this.model ? 'connecting' : 'reconnecting');
      const url = this.url();
      let model: ChannelModel;
      try {
        model = await amqp.connect(this.connectUrl(url), {
          // Nagle's algorithm adds ~40 ms stalls to small AMQP frames.
          noDelay: true,
          clientProperties: { connection_name: this.options.name },
        });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (this.failIfFatal(err, url, 'refused the connection')) return;
        const delay = backoff(attempt++, { base: 200, cap: RECONNECT_MAX_DELAY_MS });
        const failed = maskUrl(url);
        this.advance();
        this.log.warn(
          { err, node: failed, next: this.nodeUrl, retryInMs: Math.round(delay) },
          'amqp connect failed',
        );
        await sleep(delay, this.abort.signal);
        continue;
      }
      if (this.abort.signal.aborted) {
        await model.close().catch(() => undefined);
        return;
      }
      attempt = 0;
      this.model = model;
      // amqplib keeps its socket as `connection.stream` (not in its typings).
      const socket = (model.connection as unknown as { stream?: unknown }).stream;
      if (socket instanceof Writable) coalesceWrites(socket);
      let closeError: unknown;
      const closed = new Promise<void>((resolve) => {
        model.connection.once('close', (err?: unknown) => {
          closeError = err;
          if (err) this.log.warn({ err, node: maskUrl(url) }, 'amqp connection lost');
          resolve();
        });
        // 'error' always precedes 'close'; without a listener it would crash the process.
        model.on('error', (err: unknown) =>
          this.log.warn({ err, node: maskUrl(url) }, 'amqp error'),
        );
        model.on('blocked', (reason: unknown) =>
          this.log.warn({ reason }, 'broker blocked publishing'),
        );
        model.on('unblocked', () => this.log.info('broker unblocked publishing'));
      });
      this.setStatus('ready');
      this.emit('ready', model);
      await closed;
      if (this.model === model) this.model = undefined;
      if (this.abort.signal.aborted) return;
      if (this.failIfFatal(closeError, url, 'closed the connection')) return;
      this.emit('lost');
      // Its node may be the one that failed: the next attempt goes to the next node.
      this.advance();
      await sleep(backoff(0, { base: 200 }), this.abort.signal);
    }
  }

  /** Fails for good when the broker's reply code says retrying cannot help (`what` it did). */
  private failIfFatal(err: unknown, url: string, what: string): boolean {
    if (!isFatalConnectionError(err)) return false;
    this.fail(
      new AmqpFatalError(`broker at ${maskUrl(url)} (AMQP_URL) ${what}: ${messageOf(err)}`, {
        cause: err,
      }),
    );
    return true;
  }

  private url(): string {
    return this.options.urls[this.node] as string;
  }

  private advance(): void {
    this.node = (this.node + 1) % this.options.urls.length;
  }

  private connectUrl(url: string): string {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('heartbeat')) {
      parsed.searchParams.set('heartbeat', String(this.options.heartbeatSeconds ?? 5));
    }
    return parsed.toString();
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
