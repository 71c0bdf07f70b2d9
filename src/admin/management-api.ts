import { z } from 'zod';
import { maskUrl } from '../shared/logger.js';

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
 * A small client of the RabbitMQ management HTTP API (the only source of message rates).
 * Never throws: an unreachable plugin is a reason the rates are unavailable.
 */
export class ManagementApi {
  readonly shown: string;
  private readonly base: string | undefined;
  private readonly headers: Record<string, string> = { accept: 'application/json' };

  constructor(
    url: string,
    private readonly vhost: string,
    private readonly timeoutMs = 1500,
  ) {
    this.shown = maskUrl(url);
    try {
      const parsed = new URL(url);
      // fetch refuses URLs with credentials; they go in the Authorization header instead.
      const user = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      parsed.username = '';
      parsed.password = '';
      this.base = parsed.toString().replace(/\/+$/, '');
      if (user) {
        const basic = Buffer.from(`${user}:${password}`).toString('base64');
        this.headers.authorization = `Basic ${basic}`;
      }
    } catch {
      this.base = undefined;
    }
  }

  /** One queue's depth, consumers and rates. */
  async queue(name: string): Promise<QueueFetch> {
    if (this.base === undefined) {
      return { ok: false, missing: false, reason: `${this.shown} is not a URL` };
    }
    const url = `${this.base}/api/queues/${encodeURIComponent(this.vhost)}/${encodeURIComponent(name)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      return { ok: false, missing: false, reason: `not reachable at ${this.shown}: ${cause}` };
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return { ok: false, missing: true };
    }
    if (!response.ok) {
      await response.body?.cancel();
      return {
        ok: false,
        missing: false,
        reason: `${this.shown} answered HTTP ${response.status}`,
      };
    }
    const parsed = ManagementQueue.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      return { ok: false, missing: false, reason: `${this.shown} answered an unexpected shape` };
    }
    return { ok: true, stats: toStats(parsed.data) };
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

export { vhostOf } from '../shared/amqp/urls.js';
