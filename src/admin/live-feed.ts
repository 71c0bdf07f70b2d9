import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../shared/logger.js';
import { NotFoundError } from './errors.js';
import type { AdminMetrics } from './metrics.js';

/** What a page watches besides the cluster and the queues. */
export interface Watch {
  exam?: string;
  client?: string;
}

/** Where the feed's events come from. Each resolves with the event's JSON data. */
export interface LiveSources {
  cluster(): Promise<unknown>;
  exam(examId: string): Promise<unknown>;
  client(clientId: string): Promise<unknown>;
  health(): unknown;
}

interface Subscriber {
  res: ServerResponse;
  watch: Watch;
  /** Last data sent per event, so unchanged data is not sent again. */
  sent: Map<string, string>;
  /** The socket buffer is full: skip until it drains (the next tick sends what changed). */
  blocked: boolean;
}

const KEEPALIVE_MS = 15_000;

/**
 * Server-sent events for the page (`GET /api/events?exam=…&client=…`). Every `pollIntervalMs`,
 * and at once when a sync_state arrives (`poke`), it reads the cluster, each watched exam and
 * client once, and sends each subscriber the events whose data changed: `cluster`, `exam`,
 * `client`, `health`. `queues` is pushed as the sampler takes samples (`publish`).
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly timers: NodeJS.Timeout[] = [];
  private ticking: Promise<void> | undefined;
  private again = false;
  private lastError = '';

  constructor(
    private readonly sources: LiveSources,
    private readonly options: {
      pollIntervalMs: number;
      logger: Logger;
      metrics: AdminMetrics;
      /** Sent first on every stream as `hello`. */
      hello: unknown;
    },
  ) {}

  start(): void {
    this.timers.push(setInterval(() => this.poke(), this.options.pollIntervalMs));
    this.timers.push(
      setInterval(() => {
        for (const sub of this.subscribers) if (!sub.blocked) sub.res.write(': keepalive\n\n');
      }, KEEPALIVE_MS),
    );
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Takes over the response as an event stream. */
  attach(
    req: IncomingMessage,
    res: ServerResponse,
    watch: Watch,
    initial: [string, unknown][],
  ): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const sub: Subscriber = { res, watch, sent: new Map(), blocked: false };
    this.subscribers.add(sub);
    this.options.metrics.streams.set(this.subscribers.size);
    req.once('close', () => {
      this.subscribers.delete(sub);
      this.options.metrics.streams.set(this.subscribers.size);
    });
    this.send(sub, 'hello', this.options.hello);
    for (const [event, data] of initial) this.send(sub, event, data);
    this.poke();
  }

  /** Sends an event to every subscriber. */
  publish(event: string, data: unknown): void {
    for (const sub of this.subscribers) this.send(sub, event, data);
  }

  /** Reads and sends soon; calls while a round runs start one more round after it. */
  poke(): void {
    if (this.subscribers.size === 0) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick().finally(() => {
      this.ticking = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const sub of this.subscribers) sub.res.end();
    this.subscribers.clear();
    this.options.metrics.streams.set(0);
  }

  private async tick(): Promise<void> {
    const subs = [...this.subscribers];
    const exams = [...new Set(subs.flatMap((s) => (s.watch.exam ? [s.watch.exam] : [])))];
    const clients = [...new Set(subs.flatMap((s) => (s.watch.client ? [s.watch.client] : [])))];
    const [cluster, examViews, clientViews] = await Promise.all([
      this.read(() => this.sources.cluster()),
      Promise.all(exams.map((id) => this.read(() => this.sources.exam(id), { examId: id }))),
      Promise.all(clients.map((id) => this.read(() => this.sources.client(id), { clientId: id }))),
    ]);
    const health = this.sources.health();
    for (const sub of subs) {
      if (cluster !== undefined) this.send(sub, 'cluster', cluster);
      const exam = sub.watch.exam ? examViews[exams.indexOf(sub.watch.exam)] : undefined;
      if (exam !== undefined) this.send(sub, 'exam', exam);
      const client = sub.watch.client ? clientViews[clients.indexOf(sub.watch.client)] : undefined;
      if (client !== undefined) this.send(sub, 'client', client);
      this.send(sub, 'health', health);
    }
  }

  /** The source's data; for a NotFoundError, `{...subject, error}`; undefined on failure. */
  private async read(
    fn: () => Promise<unknown>,
    subject?: Record<string, string>,
  ): Promise<unknown> {
    try {
      const data = await fn();
      this.lastError = '';
      return data;
    } catch (err) {
      if (err instanceof NotFoundError && subject) return { ...subject, error: err.message };
      const message = (err as Error).message;
      // Once per distinct failure (e.g. Redis down), not once per tick.
      if (message !== this.lastError) {
        this.options.logger.warn({ err: message }, 'live feed read failed');
        this.lastError = message;
      }
      return undefined;
    }
  }

  private send(sub: Subscriber, event: string, data: unknown): void {
    if (sub.blocked) return;
    const json = JSON.stringify(data);
    // `at` (when a snapshot was taken) changes every time; it alone is no news.
    const signature = JSON.stringify(data, (key, value: unknown) =>
      key === 'at' ? undefined : value,
    );
    if (sub.sent.get(event) === signature) return;
    sub.sent.set(event, signature);
    const ok = sub.res.write(`event: ${event}\ndata: ${json}\n\n`);
    if (!ok) {
      sub.blocked = true;
      sub.res.once('drain', () => {
        sub.blocked = false;
        // What changed meanwhile is resent: forget what we think it has seen.
        sub.sent.clear();
        this.poke();
      });
    }
  }
}
