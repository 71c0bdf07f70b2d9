import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { Logger } from '../logger.js';
import { backoff, sleep } from '../backoff.js';
import { ConfirmTimeoutError, UnavailableError } from '../errors.js';
import { AmqpFatalError, messageOf, type AmqpConnection } from './connection.js';
import { isFatalSetupError } from './reply-codes.js';

export type ChannelStatus = 'down' | 'opening' | 'ready' | 'closed';

/** What a channel needs of its connection (an `AmqpConnection`). */
export type ChannelHost = Pick<AmqpConnection, 'onReady' | 'onFatal' | 'fail'>;

export interface ManagedChannelOptions {
  connection: ChannelHost;
  /** For logs, e.g. `publisher` or `consumer`. */
  name: string;
  logger: Logger;
  /** Runs on every fresh channel before it is ready: declare, bind, consume. */
  setup?: (channel: ConfirmChannel) => Promise<void>;
  /** basic.qos prefetch for consumers on this channel. Default none. */
  prefetch?: number;
  /** A publish not confirmed in this many ms rejects with ConfirmTimeoutError. Default 10000. */
  confirmTimeoutMs?: number;
  /**
   * An open + setup not done in this many ms is abandoned (its channel closed) and retried
   * with backoff: amqplib's RPCs have no timeout, and a broker can leave one unanswered (a
   * declare held while a cluster node shuts down). Default 5000.
   */
  setupTimeoutMs?: number;
}

export interface PublishResult {
  /** The broker returned the (mandatory) message: no queue was bound for it. */
  returned: boolean;
}

const PUBLISH_ID = 'x-relay-publish-id';

/**
 * A confirm channel that reopens after a channel or connection failure and re-runs its setup
 * with backoff. A setup that fails (e.g. `RESOURCE_LOCKED` on an exclusive queue still held
 * by our previous, dead connection) is retried until it succeeds or the channel is closed; one
 * that retrying cannot fix (`PRECONDITION_FAILED`, `ACCESS_REFUSED`: see reply-codes.ts) is
 * reported to the connection as fatal.
 */
export class ManagedChannel extends EventEmitter<{ ready: [ConfirmChannel]; down: [] }> {
  private state: ChannelStatus = 'down';
  private channel: ConfirmChannel | undefined;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly returned = new Set<string>();
  private draining: Promise<void> | undefined;
  private detach: (() => void) | undefined;
  private generation = 0;
  /** Ids that tell our publishes apart in basic.return: a per-channel prefix and a counter. */
  private readonly publishIds = `${randomUUID().slice(0, 8)}-`;
  private published = 0;

  constructor(private readonly options: ManagedChannelOptions) {
    super();
    this.log = options.logger.child({ module: 'amqp-channel', channel: options.name });
  }

  /** `down` → `opening` → `ready` → `down` …; `closed` after `close()`. */
  get status(): ChannelStatus {
    return this.state;
  }

  /** The one place the status changes; every transition is logged. */
  private setStatus(status: ChannelStatus): void {
    if (this.state === status) return;
    const level = status === 'opening' ? 'debug' : 'info';
    this.log[level]({ from: this.state, to: status }, 'amqp channel status');
    this.state = status;
  }

  /** Opens now if the connection is ready, and again after every reconnect. */
  start(): void {
    this.detach ??= this.options.connection.onReady((model) => void this.open(model));
  }

  /** Resolves when the channel is ready (setup done); rejects on a fatal connection error. */
  async ready(): Promise<ConfirmChannel> {
    if (this.channel && this.state === 'ready') return this.channel;
    return new Promise((resolve, reject) => {
      const onReady = (channel: ConfirmChannel) => {
        stopFatal();
        resolve(channel);
      };
      const stopFatal = this.options.connection.onFatal((err) => {
        this.off('ready', onReady);
        reject(err);
      });
      this.once('ready', onReady);
    });
  }

  get current(): ConfirmChannel | undefined {
    return this.state === 'ready' ? this.channel : undefined;
  }

  /**
   * Publishes and waits for the broker's confirm. Rejects with UnavailableError when the
   * channel is down, ConfirmTimeoutError when no confirm comes in time, and UnavailableError
   * when the broker nacks or the channel closes first, also while waiting for `drain`.
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish = {},
  ): Promise<PublishResult> {
    if (this.draining) await this.draining;
    const channel = this.current;
    if (!channel) throw new UnavailableError(`channel ${this.options.name} is not ready`);
    const id = `${this.publishIds}${++this.published}`;
    const timeoutMs = this.options.confirmTimeoutMs ?? 10_000;
    return new Promise<PublishResult>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.returned.delete(id);
        reject(new ConfirmTimeoutError(`no publish confirm within ${timeoutMs} ms`));
      }, timeoutMs);
      // Copies by Object.assign: a property after a spread is slow (eslint.config.js).
      const headers = Object.assign({}, options.headers, { [PUBLISH_ID]: id });
      const publishOptions = Object.assign({}, options, { headers });
      const ok = channel.publish(exchange, routingKey, content, publishOptions, (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const returned = this.returned.delete(id);
        if (err)
          reject(new UnavailableError('publish not confirmed by the broker', { cause: err }));
        else resolve({ returned });
      });
      if (!ok && !this.draining) this.draining = this.drained(channel);
    });
  }

  /**
   * Resolves on the channel's next `drain`; rejects with UnavailableError if it closes first,
   * so that publishes queued behind a full buffer fail instead of waiting forever.
   */
  private drained(channel: ConfirmChannel): Promise<void> {
    const draining = new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        channel.off('close', onClose);
        if (this.draining === draining) this.draining = undefined;
        resolve();
      };
      const onClose = () => {
        channel.off('drain', onDrain);
        if (this.draining === draining) this.draining = undefined;
        reject(new UnavailableError(`channel ${this.options.name} closed while waiting for drain`));
      };
      channel.once('drain', onDrain);
      channel.once('close', onClose);
    });
    // Nobody may be waiting when it closes; each waiter gets the rejection through its await.
    draining.catch(() => undefined);
    return draining;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.abort.abort();
    this.detach?.();
    const channel = this.channel;
    this.channel = undefined;
    this.setStatus('closed');
    if (channel) await channel.close().catch(() => undefined);
  }

  private async open(model: ChannelModel): Promise<void> {
    const generation = ++this.generation;
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      if (generation !== this.generation) return;
      this.setStatus('opening');
      let channel: ConfirmChannel | undefined;
      let abandoned = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        const setup = (async () => {
          const opened = await model.createConfirmChannel();
          if (abandoned) {
            void opened.close().catch(() => undefined);
            return;
          }
          channel = opened;
          this.watch(opened, model, generation);
          if (this.options.prefetch) await opened.prefetch(this.options.prefetch);
          await this.options.setup?.(opened);
        })();
        const timeoutMs = this.options.setupTimeoutMs ?? 5000;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            abandoned = true;
            reject(new UnavailableError(`channel setup not done within ${timeoutMs} ms`));
          }, timeoutMs);
        });
        // A late failure of an abandoned setup has nobody to tell.
        setup.catch(() => undefined);
        await Promise.race([setup, timeout]);
        clearTimeout(timer);
        if (!channel) throw new UnavailableError('channel setup abandoned');
        if (this.abort.signal.aborted || generation !== this.generation) {
          await channel.close().catch(() => undefined);
          return;
        }
        this.channel = channel;
        this.setStatus('ready');
        this.emit('ready', channel);
        return;
      } catch (err) {
        clearTimeout(timer);
        // Not awaited: the channel of an abandoned setup may not answer its close either.
        if (channel) void (channel as Channel).close().catch(() => undefined);
        if (isConnectionGone(model)) {
          // The connection's reconnect will call open again; until then nothing is opening.
          if (generation === this.generation) this.setStatus('down');
          return;
        }
        if (isFatalSetupError(err)) {
          this.options.connection.fail(
            new AmqpFatalError(
              `channel ${this.options.name}: the broker refused its setup: ${messageOf(err)}`,
              { cause: err },
            ),
          );
          return;
        }
        const delay = backoff(attempt, { base: 200, cap: 5000 });
        this.log.warn({ err, retryInMs: Math.round(delay) }, 'channel setup failed');
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private watch(channel: ConfirmChannel, model: ChannelModel, generation: number): void {
    channel.on('error', (err: unknown) => this.log.warn({ err }, 'channel error'));
    channel.on('return', (msg: { properties: { headers?: Record<string, unknown> } }) => {
      const id = msg.properties.headers?.[PUBLISH_ID];
      if (typeof id === 'string') this.returned.add(id);
    });
    channel.once('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      if (this.state === 'closed') return;
      this.setStatus('down');
      this.emit('down');
      if (
        generation === this.generation &&
        !isConnectionGone(model) &&
        !this.abort.signal.aborted
      ) {
        // The channel alone failed (e.g. a 404 on publish); reopen it on the same connection,
        // unless meanwhile the connection went and its reconnect opened a channel already.
        void sleep(backoff(0, { base: 200 }), this.abort.signal).then(() => {
          if (generation === this.generation && !isConnectionGone(model)) return this.open(model);
        });
      }
    });
  }
}

function isConnectionGone(model: ChannelModel): boolean {
  const conn = model.connection as unknown as {
    expectSocketClose?: boolean;
    stream?: { destroyed?: boolean };
  };
  return conn.expectSocketClose === true || conn.stream?.destroyed === true;
}
