import type { ChannelModel } from 'amqplib';
import { formatConflict, type TopologyConflict } from './conflict.js';
import type { Topology } from './load.js';
import { bindingName, compareBindings, fetchBindings } from './management.js';
import { probeExchange, probeQueue } from './probe.js';

/** One way the broker differs from the file. */
export type TopologyDifference =
  | { kind: 'missing'; entity: 'exchange' | 'queue' | 'binding'; name: string }
  /** A binding into one of the file's queues that the file does not have. */
  | { kind: 'unexpected'; entity: 'binding'; name: string }
  | ({ kind: 'inequivalent' } & TopologyConflict);

export interface VerifyOptions {
  /**
   * RabbitMQ management API, e.g. `http://guest:guest@127.0.0.1:15672`, used to compare
   * bindings. Default none: bindings are reported unchecked.
   */
  managementUrl?: string;
  /** The vhost whose bindings are compared. Default `/`. */
  vhost?: string;
  /** Timeout of the management API request in ms. Default 2000. */
  managementTimeoutMs?: number;
}

export interface VerifyResult {
  /** Empty when the broker matches the file (as far as it was checked). */
  differences: TopologyDifference[];
  /** Bindings are only checked through the management API; `reason` says why they were not. */
  bindings: { checked: true } | { checked: false; reason: string };
}

/**
 * Compares the broker with the file without creating or changing anything (see `probeExchange`
 * for the one race). The per-server queues are not checked: they exist only while a server runs.
 */
export async function verifyTopology(
  model: ChannelModel,
  topology: Topology,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const [exchanges, queues, bindings] = await Promise.all([
    Promise.all(topology.exchanges.map((e) => probeExchange(model, e))),
    Promise.all(topology.queues.map((q) => probeQueue(model, q))),
    options.managementUrl === undefined
      ? undefined
      : fetchBindings(
          options.managementUrl,
          options.vhost ?? '/',
          options.managementTimeoutMs ?? 2000,
        ),
  ]);

  const differences: TopologyDifference[] = [];
  const entities = [
    ...topology.exchanges.map((e, i) => ({
      entity: 'exchange' as const,
      name: e.name,
      probe: exchanges[i],
    })),
    ...topology.queues.map((q, i) => ({
      entity: 'queue' as const,
      name: q.name,
      probe: queues[i],
    })),
  ];
  for (const { entity, name, probe } of entities) {
    if (!probe?.present) differences.push({ kind: 'missing', entity, name });
    else differences.push(...probe.conflicts.map((c) => ({ kind: 'inequivalent' as const, ...c })));
  }

  if (!bindings?.ok) {
    const reason = bindings?.reason ?? 'no management API URL given';
    return { differences, bindings: { checked: false, reason } };
  }
  const { missing, unexpected } = compareBindings(topology, bindings.bindings);
  for (const b of missing)
    differences.push({ kind: 'missing', entity: 'binding', name: bindingName(b) });
  for (const b of unexpected) {
    differences.push({ kind: 'unexpected', entity: 'binding', name: bindingName(b) });
  }
  return { differences, bindings: { checked: true } };
}

/** One line, e.g. `missing queue t1.status_queue`. */
export function formatDifference(difference: TopologyDifference): string {
  switch (difference.kind) {
    case 'missing':
      return `missing ${difference.entity} ${difference.name}`;
    case 'unexpected':
      return `unexpected ${difference.entity} ${difference.name} (not in the file)`;
    case 'inequivalent':
      return formatConflict(difference);
  }
}

/** The differences, one per line. */
export function formatDifferences(differences: TopologyDifference[]): string {
  return differences.map(formatDifference).join('\n');
}
