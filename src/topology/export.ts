import type { ArgValue, Topology } from './load.js';

/** The parts of the RabbitMQ definitions format that a topology fills. */
export interface Definitions {
  queues: {
    name: string;
    vhost: string;
    durable: boolean;
    auto_delete: boolean;
    arguments: Record<string, ArgValue>;
  }[];
  exchanges: {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, ArgValue>;
  }[];
  bindings: {
    source: string;
    vhost: string;
    destination: string;
    destination_type: 'queue';
    routing_key: string;
    arguments: Record<string, ArgValue>;
  }[];
}

export interface ExportOptions {
  /** The vhost every entity is put in. Default `/`. */
  vhost?: string;
}

/**
 * The topology as RabbitMQ definitions, for `rabbitmqctl import_definitions FILE` or the
 * management UI's import. Without `users`, `vhosts` and `permissions` the import only adds
 * entities. The per-server queues are left out: each is exclusive to its server's connection.
 */
export function exportDefinitions(topology: Topology, options: ExportOptions = {}): Definitions {
  const vhost = options.vhost ?? '/';
  return {
    queues: topology.queues.map((q) => ({
      name: q.name,
      vhost,
      durable: q.durable,
      auto_delete: q.autoDelete,
      arguments: { ...q.arguments },
    })),
    exchanges: topology.exchanges.map((e) => ({
      name: e.name,
      vhost,
      type: e.type,
      durable: e.durable,
      auto_delete: e.autoDelete,
      internal: e.internal,
      arguments: { ...e.arguments },
    })),
    bindings: topology.bindings.map((b) => ({
      source: b.exchange,
      vhost,
      destination: b.queue,
      destination_type: 'queue',
      routing_key: b.routingKey,
      arguments: {},
    })),
  };
}
