import { z } from 'zod';
import type { ManagementClient } from '../shared/management-api.js';

/** What the RabbitMQ management API says about one queue (other fields are ignored). */
const ManagementQueue = z.object({
  name: z.string(),
  messages: z.number().optional(),
  consumers: z.number().optional(),
  consumer_details: z.array(z.unknown()).optional(),
  exclusive: z.boolean().optional(),
  message_stats: z
    .object({
      publish_details: z.object({ rate: z.number() }).optional(),
      deliver_get_details: z.object({ rate: z.number() }).optional(),
      ack_details: z.object({ rate: z.number() }).optional(),
    })
    .optional(),
});

/** One queue's figures from the management API; rates are messages per second. */
export interface ManagementQueueStats {
  messages: number | null;
  consumers: number | null;
  publishRate: number | null;
  deliverRate: number | null;
  ackRate: number | null;
}

export type QueueFetch =
  | { ok: true; stats: ManagementQueueStats }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: string };

/**
 * One queue's figures through the RabbitMQ management HTTP API (the only source of message
 * rates). Never throws: an unreachable plugin is a reason the rates are unavailable.
 */
export class ManagementApi {
  readonly shown: string;

  constructor(
    private readonly client: ManagementClient,
    private readonly vhost: string,
  ) {
    this.shown = client.shown;
  }

  /** One queue's depth, consumers and rates. */
  async queue(name: string): Promise<QueueFetch> {
    const path = `/api/queues/${encodeURIComponent(this.vhost)}/${encodeURIComponent(name)}`;
    const got = await this.client.find(path, ManagementQueue);
    if (!got.ok) return { ok: false, missing: false, reason: got.reason };
    if (got.value === undefined) return { ok: false, missing: true };
    return { ok: true, stats: toStats(got.value) };
  }
}

/** The figures of one management API queue object. */
export function toStats(queue: z.infer<typeof ManagementQueue>): ManagementQueueStats {
  const stats = queue.message_stats;
  return {
    messages: queue.messages ?? null,
    // `consumers` is refreshed with the statistics (every 5 s); the consumer list is current.
    consumers: queue.consumer_details?.length ?? queue.consumers ?? null,
    // The API leaves message_stats out for a queue that has had no traffic yet.
    publishRate: stats?.publish_details?.rate ?? 0,
    deliverRate: stats?.deliver_get_details?.rate ?? 0,
    ackRate: stats?.ack_details?.rate ?? 0,
  };
}
