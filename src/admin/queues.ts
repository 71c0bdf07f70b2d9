import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel } from 'amqplib';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import type { AmqpConnection } from '../shared/amqp/connection.js';
import type { RedisKeys } from '../shared/redis/keys.js';
import type { Topology } from '../topology/index.js';
import type { ManagementApi, QueueFetch } from './management-api.js';
import type { AdminMetrics } from './metrics.js';

export interface QueueStat {
  name: string;
  kind: 'status' | 'dead-letter' | 'server';
  serverId: string | null;
  /**
   * `present`: figures known. `exclusive`: the queue exists, held by its server's connection;
   * AMQP cannot inspect another connection's exclusive queue (405), only the management API can.
   * `missing`: no such queue. `unknown`: the check failed.
   */
  state: 'present' | 'exclusive' | 'missing' | 'unknown';
  messages: number | null;
  consumers: number | null;
  /** Messages per second published to / delivered from the queue (management API only). */
  publishRate: number | null;
  deliverRate: number | null;
  /** Change of depth per second between the last two samples. */
  depthRate: number | null;
}

export interface QueueSample {
  at: string;
  queues: QueueStat[];
  /** Where rates come from, and why, in words for the page. */
  rates: { source: 'management' | 'samples'; note: string };
}

interface Deps {
  amqp: AmqpConnection;
  redis: Redis;
  keys: RedisKeys;
  topology: Topology;
  logger: Logger;
  metrics: AdminMetrics;
  /** The RabbitMQ management API, when configured. */
  management: ManagementApi | undefined;
}

type Figures = Pick<QueueStat, 'state' | 'messages' | 'consumers' | 'publishRate' | 'deliverRate'>;

/** After the management API fails, AMQP checks are used for this long before trying it again. */
const MANAGEMENT_RETRY_MS = 30_000;

/**
 * Samples status_queue, its DLQ and every known server's queue every `intervalMs`: depth and
 * consumers by passive declare (checkQueue) on a throwaway channel, or, when the RabbitMQ
 * management API answers, depth, consumers and message rates from it.
 */
export class QueueSampler extends EventEmitter<{ sample: [QueueSample] }> {
  private last: QueueSample | undefined;
  private previous = new Map<string, { at: number; messages: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<QueueSample> | undefined;
  private managementDownUntil = 0;
  private managementReason = '';

  constructor(
    private readonly deps: Deps,
    private readonly intervalMs: number,
  ) {
    super();
  }

  start(): void {
    const tick = () => {
      this.sample()
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'queue sample failed'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The last sample, if any. */
  latest(): QueueSample | undefined {
    return this.last;
  }

  /** Takes a sample now (joining one in progress). */
  sample(): Promise<QueueSample> {
    this.running ??= this.take().finally(() => (this.running = undefined));
    return this.running;
  }

  private async take(): Promise<QueueSample> {
    const { topology, redis, keys } = this.deps;
    const names = topology.names;
    const servers = (await redis.smembers(keys.servers())).sort();
    const targets: Pick<QueueStat, 'name' | 'kind' | 'serverId'>[] = [
      ...names.statusQueues.map((name) => ({ name, kind: 'status' as const, serverId: null })),
      { name: names.deadLetterQueue, kind: 'dead-letter', serverId: null },
      ...servers.map((id) => ({
        name: topology.serverQueue(id).name,
        kind: 'server' as const,
        serverId: id,
      })),
    ];
    const now = Date.now();
    const queueNames = targets.map((t) => t.name);
    const [exact, fromManagement] = await Promise.all([
      this.viaAmqp(queueNames),
      this.viaManagement(queueNames),
    ]);
    const figures = exact.map((f, i) => merge(f, fromManagement?.[i]));
    const queues = targets.map((target, i): QueueStat => {
      const f = figures[i] ?? unknown();
      const before = this.previous.get(target.name);
      let depthRate: number | null = null;
      if (f.messages !== null) {
        if (before && now > before.at) {
          depthRate = ((f.messages - before.messages) * 1000) / (now - before.at);
        }
        this.previous.set(target.name, { at: now, messages: f.messages });
        this.deps.metrics.queueMessages.set({ queue: target.name }, f.messages);
      }
      return { ...target, ...f, depthRate };
    });
    const interval = `${Math.round(this.intervalMs / 100) / 10} s`;
    const rates: QueueSample['rates'] = fromManagement
      ? {
          source: 'management',
          note: `message rates from the management API at ${this.deps.management?.shown ?? ''} (they lag by its statistics interval, 5 s by default); depth and consumers are exact`,
        }
      : {
          source: 'samples',
          note: this.deps.management
            ? `message rates n/a: ${this.managementReason}; showing the change of depth per second between samples ${interval} apart`
            : `message rates n/a: no management API configured; showing the change of depth per second between samples ${interval} apart`,
        };
    this.last = { at: new Date(now).toISOString(), queues, rates };
    this.emit('sample', this.last);
    return this.last;
  }

  private async viaManagement(names: string[]): Promise<Figures[] | undefined> {
    const api = this.deps.management;
    if (!api || Date.now() < this.managementDownUntil) return undefined;
    const results: QueueFetch[] = await Promise.all(names.map((n) => api.queue(n)));
    const failure = results.find((r) => !r.ok && !r.missing);
    if (failure && !failure.ok && !failure.missing) {
      if (this.managementDownUntil === 0 || this.managementReason !== failure.reason) {
        this.deps.logger.info(
          { reason: failure.reason },
          'management API unavailable; using AMQP checks',
        );
      }
      this.managementReason = failure.reason;
      this.managementDownUntil = Date.now() + MANAGEMENT_RETRY_MS;
      return undefined;
    }
    return results.map((r): Figures =>
      r.ok
        ? {
            state: 'present',
            messages: r.stats.messages,
            consumers: r.stats.consumers,
            publishRate: r.stats.publishRate,
            deliverRate: r.stats.deliverRate,
          }
        : { ...unknown(), state: 'missing' },
    );
  }

  private async viaAmqp(names: string[]): Promise<Figures[]> {
    const model = this.deps.amqp.current;
    if (!model) return names.map(unknown);
    const out: Figures[] = [];
    let channel: Channel | undefined;
    for (const name of names) {
      try {
        channel ??= await openChannel(model);
        const ok = await channel.checkQueue(name);
        out.push({
          ...unknown(),
          state: 'present',
          messages: ok.messageCount,
          consumers: ok.consumerCount,
        });
      } catch (err) {
        // A failed passive declare closes the channel: the next check opens another.
        channel = undefined;
        const code = (err as { code?: unknown }).code;
        out.push({
          ...unknown(),
          state: code === 404 ? 'missing' : code === 405 ? 'exclusive' : 'unknown',
        });
      }
    }
    await channel?.close().catch(() => undefined);
    return out;
  }
}

async function openChannel(model: ChannelModel): Promise<Channel> {
  const channel = await model.createChannel();
  // 404/405 close the channel and arrive as 'error' as well as the rejected check.
  channel.on('error', () => undefined);
  return channel;
}

/**
 * Depth and consumers from the passive declare (exact, immediate); rates from the management
 * API, and its depth and consumers for queues AMQP cannot inspect (another connection's
 * exclusive queue). The management API's figures lag by its statistics interval (5 s).
 */
function merge(exact: Figures, managed: Figures | undefined): Figures {
  if (!managed || managed.state !== 'present') return exact;
  if (exact.state === 'present') {
    return { ...exact, publishRate: managed.publishRate, deliverRate: managed.deliverRate };
  }
  return { ...managed, state: exact.state === 'missing' ? 'present' : exact.state };
}

function unknown(): Figures {
  return {
    state: 'unknown',
    messages: null,
    consumers: null,
    publishRate: null,
    deliverRate: null,
  };
}
