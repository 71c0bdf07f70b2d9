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

export interface Names {
  namespace: string;
  /** `X.name` for a queue or exchange of the file. */
  entity(name: string): string;
  statusExchange: string;
  statusRoutingKey: string;
  statusQueue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  routeExchange: string;
  broadcastExchange: string;
  /** Routing key on `relay.route` for one server. */
  serverRoutingKey(serverId: string): string;
  /** Partitions of `status_queue`. */
  statusPartitions: number;
  /** Every status queue (one per partition). */
  statusQueues: string[];
  /** Routing key on the status exchange for an exam's messages. */
  statusRoutingKeyFor(examId: string): string;
  /** Routing key of the partition that carries heartbeats and ticks. */
  heartbeatRoutingKey: string;
}

export function createNames(namespace: string): Names {
  const entity = (name: string) => (namespace ? `${namespace}.${name}` : name);
  return {
    namespace,
    entity,
    statusExchange: entity(Logical.statusExchange),
    statusRoutingKey: Logical.statusRoutingKey,
    statusQueue: entity(Logical.statusQueue),
    deadLetterExchange: entity(Logical.deadLetterExchange),
    deadLetterQueue: entity(Logical.deadLetterQueue),
    routeExchange: entity(Logical.routeExchange),
    broadcastExchange: entity(Logical.broadcastExchange),
    serverRoutingKey: (serverId) => serverId,
    statusPartitions: 1,
    statusQueues: [entity(Logical.statusQueue)],
    statusRoutingKeyFor: () => Logical.statusRoutingKey,
    heartbeatRoutingKey: Logical.statusRoutingKey,
  };
}

/** Fills `{serverId}` in a template. */
export function fillServerId(template: string, serverId: string): string {
  return template.replaceAll('{serverId}', serverId);
}
