import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { TopologyError } from '../shared/errors.js';
import { TopologyFile, type QueueSpec } from './schema.js';
import {
  Logical,
  createNames,
  fillServerId,
  partitionName,
  partitionRoutingKey,
  type Names,
} from './names.js';

export type ArgValue = string | number | boolean;

export interface ResolvedExchange {
  name: string;
  type: 'direct' | 'fanout' | 'topic' | 'headers';
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: Record<string, ArgValue>;
}

export interface ResolvedQueue {
  name: string;
  durable: boolean;
  autoDelete: boolean;
  arguments: Record<string, ArgValue>;
}

export interface ResolvedBinding {
  exchange: string;
  queue: string;
  routingKey: string;
}

export interface ServerQueue {
  name: string;
  arguments: Record<string, ArgValue>;
  bindings: { exchange: string; routingKey: string }[];
}

/** A validated topology with every name resolved in the namespace. */
export interface Topology {
  names: Names;
  exchanges: ResolvedExchange[];
  queues: ResolvedQueue[];
  bindings: ResolvedBinding[];
  /** The exclusive queue of one socket server, and its bindings. */
  serverQueue(serverId: string): ServerQueue;
}

/** Reads, validates and resolves a topology file; TopologyError names the offending path. */
export async function loadTopologyFile(path: string, namespace: string): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TopologyError(`cannot read topology file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseTopology(text, namespace, path);
}

/** Parses YAML text (read → defaults → names → cross-check). */
export function parseTopology(text: string, namespace: string, source = 'topology'): Topology {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TopologyError(`${source}: invalid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
  }
  let raw: unknown;
  try {
    // yaml refuses to expand aliases past its limit (a "billion laughs" file) by throwing.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new TopologyError(`${source}: invalid YAML: ${(err as Error).message}`, { cause: err });
  }
  const result = TopologyFile.safeParse(raw);
  if (!result.success) throw new TopologyError(`${source}: ${describe(result.error)}`);
  const file = result.data;
  crossCheck(file, source);

  const names = createNames(namespace, file.queues[Logical.statusQueue]?.partitions ?? 1);
  const ex = names.entity;
  const partitions = (queue: string) => range(file.queues[queue]?.partitions ?? 1);
  return {
    names,
    exchanges: Object.entries(file.exchanges).map(([name, spec]) => ({
      name: ex(name),
      type: spec.type,
      durable: spec.durable,
      autoDelete: spec.autoDelete,
      internal: spec.internal,
      arguments: spec.arguments,
    })),
    queues: Object.entries(file.queues).flatMap(([name, spec]) =>
      range(spec.partitions).map((n) => ({
        name: ex(partitionName(name, n, spec.partitions)),
        durable: spec.durable,
        autoDelete: spec.autoDelete,
        arguments: queueArguments(spec, ex),
      })),
    ),
    bindings: file.bindings.flatMap((b) => {
      const all = partitions(b.queue);
      return all.map((n) => ({
        exchange: ex(b.exchange),
        queue: ex(partitionName(b.queue, n, all.length)),
        routingKey: partitionRoutingKey(b.routingKey, n, all.length),
      }));
    }),
    serverQueue: (serverId) => ({
      name: ex(fillServerId(file.serverQueue.name, serverId)),
      arguments: file.serverQueue.arguments,
      bindings: file.serverQueue.bindings.map((b) => ({
        exchange: ex(b.exchange),
        routingKey: fillServerId(b.routingKey, serverId),
      })),
    }),
  };
}

function queueArguments(spec: QueueSpec, ex: (n: string) => string): Record<string, ArgValue> {
  const args: Record<string, ArgValue> = { ...spec.arguments };
  if (spec.type === 'quorum') args['x-queue-type'] = 'quorum';
  if (spec.singleActiveConsumer) args['x-single-active-consumer'] = true;
  if (spec.deliveryLimit !== undefined) args['x-delivery-limit'] = spec.deliveryLimit;
  if (spec.deadLetterExchange !== undefined)
    args['x-dead-letter-exchange'] = ex(spec.deadLetterExchange);
  if (spec.deadLetterRoutingKey !== undefined)
    args['x-dead-letter-routing-key'] = spec.deadLetterRoutingKey;
  if (spec.groupSize !== undefined) args['x-quorum-initial-group-size'] = spec.groupSize;
  if (spec.deadLetterStrategy !== undefined)
    args['x-dead-letter-strategy'] = spec.deadLetterStrategy;
  if (spec.overflow !== undefined) args['x-overflow'] = spec.overflow;
  if (spec.messageTtl !== undefined) args['x-message-ttl'] = spec.messageTtl;
  if (spec.maxLength !== undefined) args['x-max-length'] = spec.maxLength;
  return args;
}

function crossCheck(file: TopologyFile, source: string): void {
  const problems: string[] = [];
  const exchange = (name: string, path: string) => {
    if (!(name in file.exchanges)) problems.push(`${path} refers to unknown exchange "${name}"`);
  };
  const queue = (name: string, path: string) => {
    if (!(name in file.queues)) problems.push(`${path} refers to unknown queue "${name}"`);
  };

  file.bindings.forEach((b, i) => {
    exchange(b.exchange, `bindings.${i}.exchange`);
    queue(b.queue, `bindings.${i}.queue`);
  });
  file.serverQueue.bindings.forEach((b, i) =>
    exchange(b.exchange, `serverQueue.bindings.${i}.exchange`),
  );
  for (const [name, q] of Object.entries(file.queues)) {
    const path = `queues.${name}`;
    if (q.deadLetterExchange !== undefined)
      exchange(q.deadLetterExchange, `${path}.deadLetterExchange`);
    if (q.type === 'quorum' && !q.durable)
      problems.push(`${path}.durable: quorum queues must be durable`);
    if (q.type === 'quorum' && q.autoDelete)
      problems.push(`${path}.autoDelete: quorum queues cannot auto-delete`);
    if (q.partitions > 1 && name !== Logical.statusQueue) {
      problems.push(`${path}.partitions: only ${Logical.statusQueue} can be partitioned`);
    }
    for (const field of ['deliveryLimit', 'groupSize', 'deadLetterStrategy'] as const) {
      if (q[field] !== undefined && q.type !== 'quorum') {
        problems.push(`${path}.${field}: needs type quorum`);
      }
    }
    if (q.type === 'quorum' && q.overflow === 'reject-publish-dlx') {
      problems.push(`${path}.overflow: quorum queues have no reject-publish-dlx`);
    }
    // RabbitMQ falls back to at-most-once, with only a log line, when either is missing.
    if (q.deadLetterStrategy === 'at-least-once') {
      if (q.overflow !== 'reject-publish')
        problems.push(`${path}.overflow: at-least-once dead-lettering needs reject-publish`);
      if (q.deadLetterExchange === undefined)
        problems.push(`${path}.deadLetterExchange: at-least-once dead-lettering needs one`);
    }
  }

  // What the code relies on (topology/names.ts#Logical).
  for (const name of [
    Logical.statusExchange,
    Logical.routeExchange,
    Logical.broadcastExchange,
    Logical.deadLetterExchange,
  ]) {
    if (!(name in file.exchanges)) problems.push(`exchanges.${name}: required exchange is missing`);
  }
  const status = file.queues[Logical.statusQueue];
  if (!status) problems.push(`queues.${Logical.statusQueue}: required queue is missing`);
  else {
    if (status.type !== 'quorum')
      problems.push(`queues.${Logical.statusQueue}.type: must be quorum`);
    if (status.deliveryLimit === undefined)
      problems.push(`queues.${Logical.statusQueue}.deliveryLimit: required`);
    // However many state managers run, one consumes each partition (per-exam order).
    if (!status.singleActiveConsumer)
      problems.push(`queues.${Logical.statusQueue}.singleActiveConsumer: must be true`);
    if (status.deadLetterExchange !== Logical.deadLetterExchange) {
      problems.push(
        `queues.${Logical.statusQueue}.deadLetterExchange: must be "${Logical.deadLetterExchange}"`,
      );
    }
  }
  if (!(Logical.deadLetterQueue in file.queues)) {
    problems.push(`queues.${Logical.deadLetterQueue}: required queue is missing`);
  }
  const bound = (ex: string, q: string, key?: string) =>
    file.bindings.some(
      (b) => b.exchange === ex && b.queue === q && (key === undefined || b.routingKey === key),
    );
  if (!bound(Logical.statusExchange, Logical.statusQueue, Logical.statusRoutingKey)) {
    problems.push(
      `bindings: need ${Logical.statusExchange} -> ${Logical.statusQueue} with routingKey "${Logical.statusRoutingKey}"`,
    );
  }
  if (!bound(Logical.deadLetterExchange, Logical.deadLetterQueue)) {
    problems.push(`bindings: need ${Logical.deadLetterExchange} -> ${Logical.deadLetterQueue}`);
  }
  const sq = file.serverQueue.bindings;
  if (!sq.some((b) => b.exchange === Logical.routeExchange && b.routingKey === '{serverId}')) {
    problems.push(
      `serverQueue.bindings: need ${Logical.routeExchange} with routingKey "{serverId}"`,
    );
  }
  if (!sq.some((b) => b.exchange === Logical.broadcastExchange)) {
    problems.push(`serverQueue.bindings: need ${Logical.broadcastExchange}`);
  }
  // A partition's name must not be a queue of its own in the file.
  for (const [name, q] of Object.entries(file.queues)) {
    for (const n of range(q.partitions)) {
      const partition = partitionName(name, n, q.partitions);
      if (partition !== name && partition in file.queues) {
        problems.push(`queues.${partition}: clashes with partition ${n} of ${name}`);
      }
    }
  }
  if (problems.length > 0) throw new TopologyError(`${source}: ${problems.join('; ')}`);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.join('.') || '(root)';
      if (i.code === 'unrecognized_keys') {
        return i.keys
          .map((k) => `${path === '(root)' ? '' : `${path}.`}${k}: unknown field`)
          .join('; ');
      }
      return `${path}: ${i.message}`;
    })
    .join('; ');
}
