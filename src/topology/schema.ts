import { z } from 'zod';
import { MAX_PARTITIONS } from './names.js';

/** Entity names as written in the file, before the namespace is applied. */
const Name = z
  .string()
  .regex(/^[A-Za-z0-9_.{}-]{1,200}$/, 'must be 1-200 of A-Z a-z 0-9 _ . - { }');

/** Extra `x-` arguments passed to the broker as they are. */
const Arguments = z.record(
  z.string().regex(/^x-[a-z-]+$/, 'must be an x- argument'),
  z.union([z.string(), z.number(), z.boolean()]),
);

export const ExchangeSpec = z.strictObject({
  type: z.enum(['direct', 'fanout', 'topic', 'headers']),
  /** Default true. */
  durable: z.boolean().default(true),
  /** Default false. */
  autoDelete: z.boolean().default(false),
  /** Default false. */
  internal: z.boolean().default(false),
  arguments: Arguments.default({}),
});

export const QueueSpec = z.strictObject({
  /** Default `classic`. */
  type: z.enum(['classic', 'quorum']).default('classic'),
  /** Default true. Quorum queues must be durable. */
  durable: z.boolean().default(true),
  /** Default false. */
  autoDelete: z.boolean().default(false),
  /**
   * Default 1. With P > 1 the queue is declared as `name.0` … `name.{P-1}` and each binding to
   * it as one binding per partition with routing key `key.n` (status_queue only).
   */
  partitions: z.number().int().min(1).max(MAX_PARTITIONS).default(1),
  /** `x-single-active-consumer`: one consumer at a time gets deliveries. Default false. */
  singleActiveConsumer: z.boolean().default(false),
  /** Deliveries after which a message is dead-lettered (quorum only). */
  deliveryLimit: z.number().int().min(1).max(1000).optional(),
  /** Exchange that receives this queue's dead letters. */
  deadLetterExchange: Name.optional(),
  deadLetterRoutingKey: z.string().max(255).optional(),
  /**
   * `x-quorum-initial-group-size`: the nodes a quorum queue is replicated on when declared. The
   * broker caps it at the cluster's size, so 3 also declares on a single node. Default: all.
   */
  groupSize: z.number().int().min(1).max(99).optional(),
  /**
   * `x-dead-letter-strategy` (quorum, RabbitMQ 3.10+). `at-least-once` keeps a dead letter in
   * this queue until the dead-letter queue has confirmed it; needs `overflow: reject-publish`.
   */
  deadLetterStrategy: z.enum(['at-most-once', 'at-least-once']).optional(),
  /** `x-overflow`: what a full queue does. Quorum queues have no `reject-publish-dlx`. */
  overflow: z.enum(['drop-head', 'reject-publish', 'reject-publish-dlx']).optional(),
  /** Message TTL in ms. */
  messageTtl: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(1).optional(),
  arguments: Arguments.default({}),
});

export const BindingSpec = z.strictObject({
  exchange: Name,
  queue: Name,
  /** Default empty (fanout). */
  routingKey: z.string().max(255).default(''),
});

export const ServerQueueSpec = z.strictObject({
  /** Template with `{serverId}`, e.g. `{serverId}_queue`. */
  name: Name.refine((n) => n.includes('{serverId}'), 'must contain {serverId}'),
  /** Must be true: a server's queue belongs to its live connection. */
  exclusive: z.literal(true).default(true),
  arguments: Arguments.default({}),
  bindings: z
    .array(
      z.strictObject({
        exchange: Name,
        /** May contain `{serverId}`. Default empty. */
        routingKey: z.string().max(255).default(''),
      }),
    )
    .min(1),
});

export const TopologyFile = z.strictObject({
  version: z.literal(1),
  exchanges: z.record(Name, ExchangeSpec),
  queues: z.record(Name, QueueSpec),
  bindings: z.array(BindingSpec).default([]),
  serverQueue: ServerQueueSpec,
});

export type ExchangeSpec = z.infer<typeof ExchangeSpec>;
export type QueueSpec = z.infer<typeof QueueSpec>;
export type BindingSpec = z.infer<typeof BindingSpec>;
export type ServerQueueSpec = z.infer<typeof ServerQueueSpec>;
export type TopologyFile = z.infer<typeof TopologyFile>;
