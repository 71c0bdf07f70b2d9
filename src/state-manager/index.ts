import { randomUUID } from 'node:crypto';
import { RECONNECT_MAX_DELAY_MS } from '../shared/amqp/connection.js';
import { ManagedChannel } from '../shared/amqp/channel.js';
import { consume, type Delivery } from '../shared/amqp/consumer.js';
import { backoff, sleep } from '../shared/backoff.js';
import { countReconnects } from '../shared/reconnect-metrics.js';
import { once, type RoleLifecycle } from '../shared/lifecycle.js';
import { isTransientRedisError } from '../shared/redis/errors.js';
import { ReplicaWait } from '../shared/redis/replica-wait.js';
import type { RoleDeps } from '../shared/role-deps.js';
import type { Topology } from '../topology/index.js';
import {
  StatusQueueMessage,
  parseJson,
  type SingleStateManagerRoute,
  type SyncState,
} from '../protocol/index.js';
import { RelayError } from '../shared/errors.js';
import { Clock } from './clock.js';
import { KeyedBatches } from './keyed-queue.js';
import { StateStore } from './state-store.js';
import { ServerRegistry } from './server-registry.js';
import { SIGNATURE_HEADER } from '../shared/bus-signature.js';
import { Router, type Route } from './router.js';
import { handleStatusChange } from './status-changes.js';
import { handleConnect, handleDisconnect, handleHeartbeat } from './connections.js';
import { startLiveness } from './liveness.js';
import { createStateManagerMetrics, type StateManagerMetrics } from './metrics.js';

export interface StateManagerDeps extends RoleDeps<StateManagerMetrics> {
  topology: Topology;
}

export interface StateManagerConfig {
  /** Unacked status_queue messages held at once. */
  prefetch: number;
  /** Seconds request ids and history are kept. */
  retentionSeconds: number;
  /** Frames kept per examinee, and per exam stream (a supervisor's), for replay. */
  historyMax: number;
  examHistoryMax: number;
  confirmTimeoutMs: number;
  /** How often to sweep for silent servers and broadcast sync_state. */
  heartbeatIntervalMs: number;
  serverDownAfterMs: number;
  /**
   * Replicas that must hold a batch's writes (Redis WAIT) before it is routed and acked.
   * Default 0: no WAIT.
   */
  waitReplicas?: number;
  /** How long one WAIT may block, in ms. Default 1000. */
  waitTimeoutMs?: number;
}

export interface StateManager extends RoleLifecycle {
  readonly id: string;
  readonly metrics: StateManagerMetrics;
}

/**
 * The worker that owns Redis state and routing: consumes `status_queue`, applies each message
 * with idempotent Redis scripts, routes to server queues, and acks only after the writes and
 * the routed publishes are confirmed. Transient Redis or broker failures are retried with
 * backoff while the message is held (not requeued, which would count against the delivery
 * limit); a message that fails validation is dead-lettered with the reason.
 */
export function createStateManager(
  deps: StateManagerDeps,
  config: StateManagerConfig,
): StateManager {
  const id = `sm-${randomUUID().slice(0, 8)}`;
  const log = deps.logger.child({ module: 'state-manager', stateManagerId: id });
  const metrics = deps.metrics ?? createStateManagerMetrics();
  const stopCountingReconnects = countReconnects(metrics.registry, deps.amqp, deps.redis);
  const names = deps.topology.names;
  const waitReplicas = config.waitReplicas ?? 0;
  const store = new StateStore(deps.redis, deps.keys, {
    retentionSeconds: config.retentionSeconds,
    historyMax: config.historyMax,
    durableFailover: waitReplicas > 0,
    examHistoryMax: config.examHistoryMax,
  });
  const replicaWait =
    waitReplicas > 0
      ? new ReplicaWait(
          deps.redis,
          deps.keys.waitFence(),
          waitReplicas,
          config.waitTimeoutMs ?? 1000,
        )
      : undefined;
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let consumerTags: string[] = [];
  let stopLiveness: (() => Promise<void>) | undefined;

  const publisher = new ManagedChannel({
    connection: deps.amqp,
    name: 'state-manager-publisher',
    logger: log,
    confirmTimeoutMs: config.confirmTimeoutMs,
  });
  const router = new Router(publisher, names, deps.signer, (type) =>
    metrics.routedPublishes.inc({ type }),
  );
  // Every third of the keys' expiry (at least 3 heartbeats, see config): a round may go unheard.
  const servers = new ServerRegistry(
    deps.redis,
    deps.keys,
    store,
    (config.retentionSeconds * 1000) / 3,
  );
  // After a broker outage the servers reconnect up to RECONNECT_MAX_DELAY_MS after us, and
  // heartbeat as soon as they publish again (a second for that).
  const clock = new Clock(RECONNECT_MAX_DELAY_MS + 1000);
  const handlerDeps = { store, servers, router, logger: log, metrics, id, clock };
  /** One lane per exam: its messages apply in the order they left the queue. */
  const lanes = new KeyedBatches<Job, Applied | undefined>(applyBatch);

  const consumer = new ManagedChannel({
    connection: deps.amqp,
    name: 'state-manager-consumer',
    logger: log,
    prefetch: config.prefetch,
    setup: async (channel) => {
      consumerTags = [];
      for (const queue of names.statusQueues) {
        consumerTags.push(await consume(channel, queue, track, log));
      }
    },
  });
  // What was heard before a break proves nothing about the time of the break.
  consumer.on('down', () => clock.reset());

  function track(delivery: Delivery): Promise<void> {
    const work = handle(delivery).finally(() => inFlight.delete(work));
    inFlight.add(work);
    return work;
  }

  async function handle(delivery: Delivery): Promise<void> {
    const started = performance.now();
    if (delivery.message.fields.redelivered) metrics.redeliveries.inc();
    const { content, properties } = delivery.message;
    const signed = deps.signer.verify(content, properties.headers?.[SIGNATURE_HEADER]);
    const parsed = signed ? parseJson(StatusQueueMessage, content.toString('utf8')) : undefined;
    if (!parsed?.ok) {
      const reason = parsed ? `invalid message: ${parsed.error}` : 'bad signature';
      log.warn(
        { reason, deliveryCount: delivery.deliveryCount },
        'bus message refused; dead-lettered',
      );
      // The original signature goes along (unchanged if it was bad), so an operator can replay
      // a message that was refused by mistake without the admin ever signing anything.
      await router.deadLetter(content, reason, {
        'x-relay-source-queue': names.statusQueue,
        ...pick(properties.headers, SIGNATURE_HEADER),
      });
      metrics.deadLetters.inc({ reason: parsed ? 'invalid' : 'signature' });
      metrics.messages.inc({ type: 'invalid', result: 'dead_lettered' });
      delivery.ack();
      return;
    }
    // A batch's commands enter their lanes now, in its order; the delivery is acked once
    // every one of them is applied and routed.
    const messages = unbatched(parsed.value);
    const settled = await Promise.allSettled(
      messages.map((message) => applyOne(message, delivery.signal, started)),
    );
    const failed = messages.filter((_, i) => settled[i]?.status === 'rejected');
    const [first] = settled.filter((r) => r.status === 'rejected');
    if (!first) return delivery.ack();
    // A lone message goes back to the queue (the delivery limit dead-letters a poison one). A
    // batch's failed commands are put back alone, so the rest of the batch is done with and
    // a poison command meets the delivery limit by itself; while the delivery can no longer
    // be acked, the whole batch comes back instead (the scripts are idempotent).
    if (messages.length === 1 || delivery.signal.aborted) throw first.reason;
    log.warn(
      { err: first.reason, failed: failed.length, of: messages.length },
      'commands of a batch failed; putting them back alone',
    );
    for (const message of failed) {
      if (message.type === 'route_message' && message.data.messageType !== 'tick') {
        await router.resubmit(message, names.statusRoutingKeyFor(message.data.payload.examId));
      }
    }
    delivery.ack();
  }

  async function applyOne(message: OneMessage, held: AbortSignal, started: number): Promise<void> {
    const type = message.type === 'sync_state' ? 'heartbeat' : message.data.messageType;
    // The exam's lane holds the Redis work and starts the routing; the confirms are awaited
    // outside it, so the next changes of the exam need not wait for this one's.
    const applied = await lanes.run(laneOf(message), { message, held });
    if (applied) await retrying(held, applied.route, applied.routing);
    metrics.messages.inc({ type, result: 'ok' });
    metrics.handleSeconds.observe({ type }, (performance.now() - started) / 1000);
  }

  /**
   * Applies a batch of one exam's messages in queue order, and with REDIS_WAIT_REPLICAS waits
   * until that many replicas hold its writes (one WAIT for the batch) before any of it is
   * routed. Fewer replicas in time (a replica down or lagging, a failover under way) is a
   * transient failure of the whole batch: it is applied again (the scripts are idempotent; on
   * the same primary they find their work done, on a newly promoted one they redo what it
   * lacks) and waited for again, with backoff, while its messages are held. Nothing of it is
   * routed or acked meanwhile, so a change acked is a change a failover cannot lose.
   */
  async function applyBatch(jobs: Job[]): Promise<PromiseSettledResult<Applied | undefined>[]> {
    for (let attempt = 0; ; attempt++) {
      const mark = replicaWait?.mark() ?? 0;
      const settled = await applyGroups(jobs);
      const routes = settled.some((r) => r.status === 'fulfilled' && r.value !== undefined);
      // Heartbeats and ticks route nothing a client numbers: no WAIT for them.
      if (!replicaWait || !routes) return startRouting(settled);
      try {
        await replicaWait.confirm(mark);
        return startRouting(settled);
      } catch (err) {
        const given = jobs.every((job) => job.held.aborted);
        if (!isTransient(err) || given || abort.signal.aborted) {
          return jobs.map(() => ({ status: 'rejected', reason: err }));
        }
        metrics.retries.inc();
        const delay = backoff(attempt, { base: 100, cap: 5000 });
        log.warn(
          { err, attempt, messages: jobs.length, retryInMs: Math.round(delay) },
          'batch not yet on enough Redis replicas; applying it again',
        );
        await sleep(delay, abort.signal);
      }
    }
  }

  /**
   * Applies the batch in Redis. Consecutive single-call messages (a change to one examinee, a
   * connect, a disconnect) go to Redis together, in one round trip, the changes to one examinee
   * each in calls of TARGETED_PER_CALL (`StateStore.batched`); after a transient failure the
   * failed ones are applied again one at a time, in order (the scripts are idempotent).
   */
  async function applyGroups(jobs: Job[]): Promise<PromiseSettledResult<Route | undefined>[]> {
    const settled: PromiseSettledResult<Route | undefined>[] = [];
    for (let start = 0; start < jobs.length;) {
      let end = start + 1;
      if (singleCall(jobs[start]!.message)) {
        while (end < jobs.length && singleCall(jobs[end]!.message)) end++;
      }
      const group = jobs.slice(start, end);
      const attempts = store.batched(() => group.map((job) => dispatch(job.message)));
      const results = await Promise.allSettled(attempts);
      const firstTransient = results.findIndex(
        (r) => r.status === 'rejected' && isTransient(r.reason),
      );
      for (let i = Math.max(firstTransient, 0); firstTransient >= 0 && i < group.length; i++) {
        const job = group[i]!;
        if (results[i]?.status !== 'rejected') continue;
        const retry = retrying(job.held, () => dispatch(job.message), attempts[i]);
        [results[i]] = await Promise.allSettled([retry]);
      }
      settled.push(...results);
      start = end;
    }
    return settled;
  }

  /** Starts each applied message's routing, in order. */
  function startRouting(
    settled: PromiseSettledResult<Route | undefined>[],
  ): PromiseSettledResult<Applied | undefined>[] {
    return settled.map((result): PromiseSettledResult<Applied | undefined> => {
      if (result.status === 'rejected') return result;
      const route = result.value;
      if (!route) return { status: 'fulfilled', value: undefined };
      const routing = route();
      routing.catch(() => undefined); // awaited by the message's handler
      return { status: 'fulfilled', value: { route, routing } };
    });
  }

  /**
   * Runs `step`, retrying transient failures with backoff while the message is still ours.
   * `first` is an attempt already under way.
   */
  async function retrying<T>(
    held: AbortSignal,
    step: () => Promise<T>,
    first?: Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await (attempt === 0 && first ? first : step());
      } catch (err) {
        // A bug (TypeError, a violated schema) is final: it goes back to the queue and the
        // delivery limit takes it to the DLQ.
        if (!isTransient(err) || held.aborted || abort.signal.aborted) throw err;
        metrics.retries.inc();
        const delay = backoff(attempt, { base: 100, cap: 5000 });
        log.warn({ err, attempt, retryInMs: Math.round(delay) }, 'transient failure, retrying');
        await sleep(delay, abort.signal);
      }
    }
  }

  /** Applies a message and returns how to route what it did. */
  async function dispatch(message: OneMessage): Promise<Route | undefined> {
    if (message.type === 'sync_state') {
      clock.heardUpTo(message.data.timestamp);
      await handleHeartbeat(message, handlerDeps);
      return undefined;
    }
    const { data } = message;
    switch (data.messageType) {
      case 'status_change':
        return handleStatusChange({ type: message.type, data }, handlerDeps);
      case 'connect':
        return handleConnect({ type: message.type, data }, handlerDeps);
      case 'disconnect':
        return handleDisconnect({ type: message.type, data }, handlerDeps);
      case 'tick':
        clock.heardUpTo(data.payload.timestamp);
        return undefined;
    }
  }

  return {
    id,
    metrics,
    ready: () =>
      consumer.current !== undefined &&
      publisher.current !== undefined &&
      deps.redis.status === 'ready' &&
      !abort.signal.aborted,
    async start() {
      publisher.start();
      await publisher.ready();
      consumer.start();
      await consumer.ready();
      stopLiveness = startLiveness(
        {
          store,
          servers,
          router,
          logger: log,
          keys: deps.keys,
          redis: deps.redis,
          id,
          clock,
        },
        config,
      );
      log.info(
        { queues: names.statusQueues, prefetch: config.prefetch },
        'state manager consuming',
      );
    },
    close: once(async () => {
      stopCountingReconnects();
      replicaWait?.close();
      log.info({ inFlight: inFlight.size }, 'state manager closing');
      // Stop taking work, then let what we hold finish (ack) before the channels close; a
      // handler stuck retrying is aborted and its message returns to the queue unacked.
      const channel = consumer.current;
      for (const tag of channel ? consumerTags : []) {
        await channel?.cancel(tag).catch(() => undefined);
      }
      await stopLiveness?.();
      const settle = Promise.allSettled([...inFlight]);
      const timer = sleep(5000).then(() => abort.abort());
      await Promise.race([settle, timer]);
      abort.abort();
      await settle;
      await consumer.close();
      await publisher.close();
    }),
  };
}

/** One message of `status_queue`, a batch's commands taken one by one. */
type OneMessage = SingleStateManagerRoute | SyncState;

/** The messages a delivery carries: a batch's commands in order, else the message itself. */
function unbatched(message: StatusQueueMessage): OneMessage[] {
  if (message.type === 'sync_state') return [message];
  const { data } = message;
  if (data.messageType !== 'batch') return [{ type: message.type, data }];
  return data.messages.map((one) => ({ type: message.type, data: one }));
}

/** A message held from `status_queue`, and the signal that says it was given back. */
interface Job {
  message: OneMessage;
  held: AbortSignal;
}

/** A message applied in Redis: its routing, under way, and how to run it again. */
interface Applied {
  route: Route;
  routing: Promise<void>;
}

/** Whether a message's Redis work is one script call, made before its handler first awaits. */
function singleCall(message: OneMessage): boolean {
  if (message.type === 'sync_state') return false;
  const { data } = message;
  switch (data.messageType) {
    case 'status_change':
      return data.payload.targetExamineeId !== undefined;
    case 'connect':
    case 'disconnect':
      return true;
    case 'tick':
      return false;
  }
}

/** The lane a message waits in: its exam's, or the heartbeat lane. */
function laneOf(message: OneMessage): string {
  if (message.type === 'sync_state') return '';
  const { data } = message;
  return data.messageType === 'tick' ? '' : `exam:${data.payload.examId}`;
}

/** Connection and timeout failures of Redis or the broker: worth retrying the same message. */
function isTransient(err: unknown): boolean {
  return err instanceof RelayError ? err.retryable : isTransientRedisError(err);
}

function pick(headers: Record<string, unknown> | undefined, name: string): Record<string, unknown> {
  return headers && name in headers ? { [name]: headers[name] } : {};
}
