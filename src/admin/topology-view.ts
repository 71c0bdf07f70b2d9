import type { ChannelModel } from 'amqplib';
import {
  bindingName,
  verifyTopology,
  type ArgValue,
  type Topology,
  type TopologyDifference,
} from '../topology/index.js';

export interface EntityRow {
  entity: 'exchange' | 'queue';
  name: string;
  /** The file's declaration. */
  file: Record<string, ArgValue | Record<string, ArgValue>>;
  /** `match`: present and equivalent; `differs`: see `differences`; `missing` on the broker. */
  live: 'match' | 'differs' | 'missing';
  differences: { property: string; live: string | null; file: string | null }[];
}

export interface BindingRow {
  name: string;
  exchange: string;
  queue: string;
  routingKey: string;
  /** `unexpected`: on the broker into one of the file's queues, not in the file. */
  live: 'match' | 'missing' | 'unexpected' | 'unchecked';
}

export interface TopologyView {
  checkedAt: string;
  /** True when the broker matches the file (as far as it was checked). */
  ok: boolean;
  entities: EntityRow[];
  bindings: BindingRow[];
  /** Bindings are only checked through the management API; `reason` says why they were not. */
  bindingsChecked: boolean;
  bindingsReason: string | null;
  /** The per-server queue template (declared by each server; not checked). */
  serverQueue: { name: string; arguments: Record<string, ArgValue>; bindings: string[] };
  /** Each difference in `topology verify`'s words. */
  differences: TopologyDifference[];
}

/**
 * The file's entities beside the live broker's, from the same `verifyTopology` as
 * `exam-relay topology verify` (passive checks; nothing is created or changed).
 */
export async function readTopology(
  model: ChannelModel,
  topology: Topology,
  options: { managementUrl?: string; vhost: string },
): Promise<TopologyView> {
  const result = await verifyTopology(model, topology, {
    ...(options.managementUrl !== undefined ? { managementUrl: options.managementUrl } : {}),
    vhost: options.vhost,
    managementTimeoutMs: 1500,
  });
  const of = (entity: 'exchange' | 'queue', name: string) =>
    result.differences.filter(
      (d) => d.kind !== 'unexpected' && d.entity === entity && d.name === name,
    );
  const row = (entity: 'exchange' | 'queue', name: string, file: EntityRow['file']): EntityRow => {
    const found = of(entity, name);
    const missing = found.some((d) => d.kind === 'missing');
    const differences = found.flatMap((d) =>
      d.kind === 'inequivalent' ? [{ property: d.property, live: d.live, file: d.file }] : [],
    );
    return {
      entity,
      name,
      file,
      live: missing ? 'missing' : differences.length > 0 ? 'differs' : 'match',
      differences,
    };
  };
  const entities = [
    ...topology.exchanges.map((e) =>
      row('exchange', e.name, {
        type: e.type,
        durable: e.durable,
        autoDelete: e.autoDelete,
        internal: e.internal,
        arguments: e.arguments,
      }),
    ),
    ...topology.queues.map((q) =>
      row('queue', q.name, {
        durable: q.durable,
        autoDelete: q.autoDelete,
        arguments: q.arguments,
      }),
    ),
  ];
  const checked = result.bindings.checked;
  const missingBindings = new Set(
    result.differences
      .filter((d) => d.kind === 'missing' && d.entity === 'binding')
      .map((d) => d.name),
  );
  const bindings: BindingRow[] = topology.bindings.map((b) => {
    const name = bindingName(b);
    return {
      name,
      ...b,
      live: !checked ? 'unchecked' : missingBindings.has(name) ? 'missing' : 'match',
    };
  });
  for (const d of result.differences) {
    if (d.kind !== 'unexpected') continue;
    const match = /^(.*) -> (.*) \[(.*)\]$/.exec(d.name);
    bindings.push({
      name: d.name,
      exchange: match?.[1] ?? '',
      queue: match?.[2] ?? '',
      routingKey: match?.[3] ?? '',
      live: 'unexpected',
    });
  }
  const template = topology.serverQueue('{serverId}');
  return {
    checkedAt: new Date().toISOString(),
    ok: result.differences.length === 0,
    entities,
    bindings,
    bindingsChecked: checked,
    bindingsReason: result.bindings.checked ? null : result.bindings.reason,
    serverQueue: {
      name: template.name,
      arguments: template.arguments,
      bindings: template.bindings.map((b) =>
        b.routingKey ? `${b.exchange} (key ${b.routingKey})` : b.exchange,
      ),
    },
    differences: result.differences,
  };
}
