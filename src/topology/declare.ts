import type { ChannelModel } from 'amqplib';
import { TopologyError } from '../shared/errors.js';
import { TopologyConflictError } from './conflict.js';
import type { ResolvedBinding, Topology } from './load.js';
import { probeExchange, probeQueue, type ProbeResult } from './probe.js';

/** What `declareTopology` declared; `created` is false for entities that already existed. */
export interface DeclareResult {
  exchanges: { name: string; type: string; created: boolean }[];
  queues: { name: string; created: boolean }[];
  bindings: ResolvedBinding[];
}

/**
 * Declares the file's exchanges, queues and bindings (not the per-server queue: each socket
 * server declares its own). Idempotent. Checks every existing entity first and, if any conflicts
 * with the file, throws a TopologyConflictError listing them all without declaring anything.
 */
export async function declareTopology(
  model: ChannelModel,
  topology: Topology,
): Promise<DeclareResult> {
  const [exchangeProbes, queueProbes] = await Promise.all([
    Promise.all(topology.exchanges.map((e) => probeExchange(model, e))),
    Promise.all(topology.queues.map((q) => probeQueue(model, q))),
  ]);
  const conflicts = [...exchangeProbes, ...queueProbes].flatMap((p) =>
    p.present ? p.conflicts : [],
  );
  if (conflicts.length > 0) throw new TopologyConflictError(conflicts);

  const ch = await model.createChannel();
  // A failing declare closes the channel and amqplib also emits it as 'error'; the rejected
  // call below reports it.
  ch.on('error', () => undefined);
  let step = '';
  try {
    for (const e of topology.exchanges) {
      step = `exchange ${e.name}`;
      await ch.assertExchange(e.name, e.type, {
        durable: e.durable,
        autoDelete: e.autoDelete,
        internal: e.internal,
        arguments: e.arguments,
      });
    }
    for (const q of topology.queues) {
      step = `queue ${q.name}`;
      await ch.assertQueue(q.name, {
        durable: q.durable,
        autoDelete: q.autoDelete,
        arguments: q.arguments,
      });
    }
    for (const b of topology.bindings) {
      step = `binding ${b.exchange} -> ${b.queue} [${b.routingKey}]`;
      await ch.bindQueue(b.queue, b.exchange, b.routingKey);
    }
    await ch.close();
  } catch (err) {
    // Only a change on the broker between the check and here (or a lost connection) gets here.
    throw new TopologyError(`declaring ${step} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }

  const created = (p: ProbeResult | undefined) => p?.present !== true;
  return {
    exchanges: topology.exchanges.map((e, i) => ({
      name: e.name,
      type: e.type,
      created: created(exchangeProbes[i]),
    })),
    queues: topology.queues.map((q, i) => ({ name: q.name, created: created(queueProbes[i]) })),
    bindings: topology.bindings,
  };
}
