import { Writable } from 'node:stream';
import { coalesceWrites } from './coalesce-writes.js';
import { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import { maskUrl } from '../logger.js';
import { backoff, sleep } from '../backoff.js';
import { ClosedError, RelayError } from '../errors.js';

export type ConnectionStatus =
  'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

/** AMQP reply codes after which reconnecting cannot help (access refused, not allowed). */
const FATAL_REPLY_CODES = new Set([403, 530]);

export class AmqpFatalError extends RelayError {
  override readonly code = 'AMQP_FATAL';
}

export interface AmqpConnectionOptions {
  url: string;
  /** Shown in the broker's connection list, e.g. `exam-relay serverA`. */
  name: string;
  logger: Logger;
  /** Heartbeat in seconds, unless the URL sets one. Default 5: a dead broker is noticed in ~10 s. */
  heartbeatSeconds?: number;
}

type Listener = (model: ChannelModel) => void;

/**
 * One AMQP connection that reconnects forever with backoff and jitter until `close()`.
 * A small state machine (`connecting → ready → reconnecting → … → closing → closed`) whose
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

  constructor(private readonly options: AmqpConnectionOptions) {
    super();
    this.log = options.logger.child({ module: 'amqp', url: maskUrl(options.url) });
  }

  /** The live connection, if ready. */
  get current(): ChannelModel | undefined {
    return this.state === 'ready' ? this.model : undefined;
  }

  /** Starts connecting; resolves once the first connection is ready. */
  async start(): Promise<void> {
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
    this.log.info({ from: this.state, to: status }, 'amqp connection status');
    this.state = status;
    this.emit('status', status);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      this.setStatus(attempt === 0 && !this.model ? 'connecting' : 'reconnecting');
      let model: ChannelModel;
      try {
        model = await amqp.connect(this.connectUrl(), {
          // Nagle's algorithm adds ~40 ms stalls to small AMQP frames.
          noDelay: true,
          clientProperties: { connection_name: this.options.name },
        });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (isFatal(err)) {
          const fatal = new AmqpFatalError(`broker refused the connection: ${messageOf(err)}`, {
            cause: err,
          });
          this.log.error({ err: fatal.message }, 'fatal amqp error');
          this.emit('fatal', fatal);
          return;
        }
        const delay = backoff(attempt++, { base: 200, cap: 5000 });
        this.log.warn({ err, retryInMs: Math.round(delay) }, 'amqp connect failed');
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
      const closed = new Promise<void>((resolve) => {
        model.connection.once('close', (err?: unknown) => {
          if (err) this.log.warn({ err }, 'amqp connection lost');
          resolve();
        });
        // 'error' always precedes 'close'; without a listener it would crash the process.
        model.on('error', (err: unknown) => this.log.warn({ err }, 'amqp error'));
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
      this.emit('lost');
      await sleep(backoff(0, { base: 200 }), this.abort.signal);
    }
  }

  private connectUrl(): string {
    const url = new URL(this.options.url);
    if (!url.searchParams.has('heartbeat')) {
      url.searchParams.set('heartbeat', String(this.options.heartbeatSeconds ?? 5));
    }
    return url.toString();
  }
}

function isFatal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && FATAL_REPLY_CODES.has(code)) return true;
  return /ACCESS[-_]REFUSED|403/.test(messageOf(err));
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
