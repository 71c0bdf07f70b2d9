import type { ChannelModel } from 'amqplib';
import { formatConflict, type TopologyConflict } from './conflict.js';
import type { ResolvedQueue, Topology } from './load.js';
import {
  bindingName,
  compareBindings,
  fetchBindings,
  fetchPlacement,
  type QueuePlacement,
} from './management.js';
import { Logical, partitionName } from './names.js';
import { probeExchange, probeQueue, queueExists } from './probe.js';

/** One way the broker differs from the file. */
export type TopologyDifference =
  | { kind: 'missing'; entity: 'exchange' | 'queue' | 'binding'; name: string }
  /** A binding into one of the file's queues that the file does not have. */
  | { kind: 'unexpected'; entity: 'binding'; name: string }
  | ({ kind: 'inequivalent' } & TopologyConflict)
  /**
   * A status partition the file no longer has (plain `status_queue` beside partitions, or one
   * past the last): nothing consumes it, so what it holds is never applied.
   */
  | { kind: 'stale'; entity: 'queue'; name: string }
  /** A quorum queue without a leader, with members offline, or with fewer than it should have. */
  | { kind: 'replicas'; entity: 'queue'; name: string; problem: string };

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
  /** Where each quorum queue of the file has its members and leader (management API too). */
  placement:
    | { checked: true; queues: QueuePlacement[]; clusterNodes: string[] }
    | { checked: false; reason: string };
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
  const vhost = options.vhost ?? '/';
  const timeout = options.managementTimeoutMs ?? 2000;
  const quorum = topology.queues.filter((q) => q.arguments['x-queue-type'] === 'quorum');
  const api = options.managementUrl;
  const [exchanges, queues, stale, bindings, placement] = await Promise.all([
    Promise.all(topology.exchanges.map((e) => probeExchange(model, e))),
    Promise.all(topology.queues.map((q) => probeQueue(model, q))),
    stalePartitions(model, topology),
    api === undefined ? undefined : fetchBindings(api, vhost, timeout),
    api === undefined
      ? undefined
      : fetchPlacement(
          api,
          vhost,
          quorum.map((q) => q.name),
          timeout,
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

  for (const name of stale) differences.push({ kind: 'stale', entity: 'queue', name });

  const noApi = 'no management API URL given';
  let placed: VerifyResult['placement'] = { checked: false, reason: noApi };
  if (placement && !placement.ok) placed = { checked: false, reason: placement.reason };
  if (placement?.ok) {
    placed = { checked: true, queues: placement.queues, clusterNodes: placement.clusterNodes };
    differences.push(...replicaDifferences(placement.queues, placement.clusterNodes, quorum));
  }

  if (!bindings?.ok) {
    const reason = bindings?.reason ?? noApi;
    return { differences, bindings: { checked: false, reason }, placement: placed };
  }
  const { missing, unexpected } = compareBindings(topology, bindings.bindings);
  for (const b of missing)
    differences.push({ kind: 'missing', entity: 'binding', name: bindingName(b) });
  for (const b of unexpected) {
    differences.push({ kind: 'unexpected', entity: 'binding', name: bindingName(b) });
  }
  return { differences, bindings: { checked: true }, placement: placed };
}

/**
 * What is wrong with each quorum queue's replicas. A queue should have min(group size, cluster
 * nodes) members (the file's `x-quorum-initial-group-size`, else every node), all online, and a
 * leader among them.
 */
function replicaDifferences(
  placements: QueuePlacement[],
  clusterNodes: string[],
  quorum: ResolvedQueue[],
): TopologyDifference[] {
  return placements.flatMap((p) => {
    const size = quorum.find((q) => q.name === p.queue)?.arguments['x-quorum-initial-group-size'];
    const expected = Math.min(typeof size === 'number' ? size : Infinity, clusterNodes.length);
    return replicaProblems(p, expected).map((problem) => ({
      kind: 'replicas' as const,
      entity: 'queue' as const,
      name: p.queue,
      problem,
    }));
  });
}

function replicaProblems(p: QueuePlacement, expected: number): string[] {
  const problems: string[] = [];
  if (!p.leader || !p.online.includes(p.leader)) problems.push('has no leader');
  const offline = p.members.filter((m) => !p.online.includes(m));
  if (offline.length > 0) problems.push(`members offline: ${offline.join(', ')}`);
  if (p.members.length < expected) {
    problems.push(`has ${p.members.length} member(s), expected ${expected}`);
  }
  return problems;
}

/** `queue Q: leader N, members A B C (3/3 online)`. */
export function formatPlacement(p: QueuePlacement): string {
  const members = p.members.map((m) => (p.online.includes(m) ? m : `${m} (offline)`));
  return `queue ${p.queue}: leader ${p.leader || 'none'}, members ${members.join(' ')} (${
    p.online.length
  }/${p.members.length} online)`;
}

/**
 * Status partitions left over from another partition count: plain `status_queue` when the file
 * has several, `status_queue.0` when it has one, and the one past the last. (A count lowered by
 * more than one leaves more; the management API's queue list would show them.)
 */
async function stalePartitions(model: ChannelModel, topology: Topology): Promise<string[]> {
  const p = topology.names.statusPartitions;
  const candidates = [
    p === 1 ? partitionName(Logical.statusQueue, 0, 2) : Logical.statusQueue,
    partitionName(Logical.statusQueue, Math.max(p, 1), 2),
  ].map(topology.names.entity);
  const found = await Promise.all(candidates.map((name) => queueExists(model, name)));
  return candidates.filter((_, i) => found[i]);
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
    case 'replicas':
      return `queue ${difference.name}: ${difference.problem}`;
    case 'stale':
      return `stale queue ${difference.name}: a status partition the file does not have (drain and delete it)`;
  }
}

/** The differences, one per line. */
export function formatDifferences(differences: TopologyDifference[]): string {
  return differences.map(formatDifference).join('\n');
}
