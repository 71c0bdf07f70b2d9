/**
 * Queue, exchange and routing-key names, built here and nowhere else. With namespace `X`
 * every queue and exchange name is `X.<name>`; routing keys are not prefixed (they are
 * scoped by their exchange).
 */

/** Logical names the code relies on; the topology file must define them. */
export const Logical = {
  statusExchange: 'relay.status',
  statusRoutingKey: 'status',
  statusQueue: 'status_queue',
  deadLetterExchange: 'relay.dlx',
  deadLetterQueue: 'status_queue.dlq',
  routeExchange: 'relay.route',
  broadcastExchange: 'relay.broadcast',
} as const;

/** Most partitions a queue of the file may have. */
export const MAX_PARTITIONS = 64;

export interface Names {
  namespace: string;
  /** `X.name` for a queue or exchange of the file. */
  entity(name: string): string;
  statusExchange: string;
  /** Number of status queue partitions (the file's `queues.status_queue.partitions`). */
  statusPartitions: number;
  /** Routing key of partition 0 (`status` with one partition). */
  statusRoutingKey: string;
  /** Partition 0 (plain `status_queue` with one partition). */
  statusQueue: string;
  /** Every partition, namespaced: `[status_queue]` with one, else `status_queue.0` … `.{P-1}`. */
  statusQueues: string[];
  /**
   * The routing key on the status exchange for one exam's messages: every message of an exam
   * goes to the same partition, whose single active consumer keeps their order.
   */
  statusRoutingKeyFor(examId: string): string;
  /** Heartbeats belong to no exam: they go to partition 0. */
  heartbeatRoutingKey: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  routeExchange: string;
  broadcastExchange: string;
  /** Routing key on `relay.route` for one server. */
  serverRoutingKey(serverId: string): string;
}

/** `statusPartitions` (default 1) is the file's partition count; `loadTopologyFile` passes it. */
export function createNames(namespace: string, statusPartitions = 1): Names {
  if (!Number.isInteger(statusPartitions) || statusPartitions < 1) {
    throw new RangeError(`statusPartitions must be a positive integer, got ${statusPartitions}`);
  }
  const entity = (name: string) => (namespace ? `${namespace}.${name}` : name);
  const p = statusPartitions;
  const partitions = Array.from({ length: p }, (_, n) => n);
  const statusQueues = partitions.map((n) => entity(partitionName(Logical.statusQueue, n, p)));
  const routingKeys = partitions.map((n) => partitionRoutingKey(Logical.statusRoutingKey, n, p));
  const key0 = routingKeys[0] ?? Logical.statusRoutingKey;
  return {
    namespace,
    entity,
    statusExchange: entity(Logical.statusExchange),
    statusPartitions: p,
    statusRoutingKey: key0,
    statusQueue: statusQueues[0] ?? entity(Logical.statusQueue),
    statusQueues,
    statusRoutingKeyFor: (examId) =>
      p === 1 ? key0 : partitionRoutingKey(Logical.statusRoutingKey, fnv1a32(examId) % p, p),
    heartbeatRoutingKey: key0,
    deadLetterExchange: entity(Logical.deadLetterExchange),
    deadLetterQueue: entity(Logical.deadLetterQueue),
    routeExchange: entity(Logical.routeExchange),
    broadcastExchange: entity(Logical.broadcastExchange),
    serverRoutingKey: (serverId) => serverId,
  };
}

/** Partition `n` of a queue with `partitions` partitions: `name.n`, or `name` when only one. */
export function partitionName(name: string, n: number, partitions: number): string {
  return partitions === 1 ? name : `${name}.${n}`;
}

/** The binding key of partition `n`: `key.n`, or `key` when only one. */
export function partitionRoutingKey(key: string, n: number, partitions: number): string {
  return partitions === 1 ? key : `${key}.${n}`;
}

const encoder = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes: small, stable across processes and versions. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Fills `{serverId}` in a template. */
export function fillServerId(template: string, serverId: string): string {
  return template.replaceAll('{serverId}', serverId);
}
