import { z } from 'zod';
import { maskUrl } from '../shared/logger.js';
import type { ResolvedBinding, Topology } from './load.js';

/** One binding as `GET /api/bindings/{vhost}` lists it (other fields are ignored). */
const ManagementBinding = z.object({
  source: z.string(),
  destination: z.string(),
  destination_type: z.string(),
  routing_key: z.string(),
});
type ManagementBinding = z.infer<typeof ManagementBinding>;

export type BindingsFetch =
  { ok: true; bindings: ManagementBinding[] } | { ok: false; reason: string };

type Fetched<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * GETs `path` of the RabbitMQ management HTTP API and validates the JSON answer. Never throws: an
 * unreachable or failing API is a reason. With `allowMissing` a 404 is `value: undefined`.
 */
async function getJson<T>(
  managementUrl: string,
  path: string,
  schema: z.ZodType<T>,
  timeoutMs: number,
  allowMissing = false,
): Promise<Fetched<T | undefined>> {
  const shown = maskUrl(managementUrl);
  let url: URL;
  try {
    url = new URL(managementUrl);
  } catch {
    return { ok: false, reason: `management URL ${shown} is not a URL` };
  }
  // fetch refuses URLs with credentials; they go in the Authorization header instead.
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (user)
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    return { ok: false, reason: `management API not reachable at ${shown}: ${cause}` };
  }
  if (response.status === 404 && allowMissing) {
    await response.body?.cancel();
    return { ok: true, value: undefined };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { ok: false, reason: `management API at ${shown} answered HTTP ${response.status}` };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return { ok: false, reason: `management API at ${shown} did not answer JSON` };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    return { ok: false, reason: `management API at ${shown} answered an unexpected shape` };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Lists the vhost's bindings through the RabbitMQ management HTTP API. AMQP cannot list or
 * passively check bindings, so this is the only way to verify them without changing anything.
 * Never throws: an unreachable or failing API is a reason the bindings stay unchecked.
 */
export async function fetchBindings(
  managementUrl: string,
  vhost: string,
  timeoutMs: number,
): Promise<BindingsFetch> {
  const path = `/api/bindings/${encodeURIComponent(vhost)}`;
  const got = await getJson(managementUrl, path, z.array(ManagementBinding), timeoutMs);
  if (!got.ok) return got;
  return { ok: true, bindings: got.value ?? [] };
}

/**
 * Where a quorum queue lives, from `GET /api/queues/{vhost}/{name}`: `members` are the nodes
 * holding a replica, `online` those of them running, `leader` the one serving it.
 */
const ManagementQueue = z.object({
  name: z.string(),
  type: z.string().optional(),
  node: z.string().optional(),
  leader: z.string().optional(),
  members: z.array(z.string()).optional(),
  online: z.array(z.string()).optional(),
});

const ManagementNode = z.object({ name: z.string(), running: z.boolean().optional() });

/** A quorum queue's replicas as the management API reports them. */
export interface QueuePlacement {
  queue: string;
  /** Empty when the queue has no leader (no majority of its members is up). */
  leader: string;
  members: string[];
  online: string[];
}

export type PlacementFetch =
  { ok: true; queues: QueuePlacement[]; clusterNodes: string[] } | { ok: false; reason: string };

/**
 * The placement of the named quorum queues (absent ones are left out) and the cluster's nodes,
 * through the management API. Never throws.
 */
export async function fetchPlacement(
  managementUrl: string,
  vhost: string,
  queues: string[],
  timeoutMs: number,
): Promise<PlacementFetch> {
  const v = encodeURIComponent(vhost);
  const [nodes, ...found] = await Promise.all([
    getJson(managementUrl, '/api/nodes?columns=name,running', z.array(ManagementNode), timeoutMs),
    ...queues.map((q) =>
      getJson(
        managementUrl,
        `/api/queues/${v}/${encodeURIComponent(q)}`,
        ManagementQueue,
        timeoutMs,
        true,
      ),
    ),
  ]);
  if (!nodes.ok) return nodes;
  const placements: QueuePlacement[] = [];
  for (const f of found) {
    if (!f.ok) return f;
    const q = f.value;
    if (!q || q.type !== 'quorum') continue;
    placements.push({
      queue: q.name,
      leader: q.leader ?? '',
      members: [...(q.members ?? [])].sort(),
      online: [...(q.online ?? [])].sort(),
    });
  }
  return {
    ok: true,
    queues: placements,
    clusterNodes: (nodes.value ?? []).map((n) => n.name).sort(),
  };
}

/** `ex -> queue [key]`. */
export function bindingName(binding: ResolvedBinding): string {
  return `${binding.exchange} -> ${binding.queue} [${binding.routingKey}]`;
}

/**
 * The file's bindings missing from the broker, and bindings into the file's queues that the file
 * does not have. Bindings into other queues (the per-server queues) belong to live servers.
 */
export function compareBindings(
  topology: Topology,
  live: ManagementBinding[],
): { missing: ResolvedBinding[]; unexpected: ResolvedBinding[] } {
  const key = (b: ResolvedBinding) => JSON.stringify([b.exchange, b.queue, b.routingKey]);
  const liveQueueBindings = live
    // Every queue has an implicit binding from the default exchange "".
    .filter((b) => b.destination_type === 'queue' && b.source !== '')
    .map((b) => ({ exchange: b.source, queue: b.destination, routingKey: b.routing_key }));
  const liveKeys = new Set(liveQueueBindings.map(key));
  const fileKeys = new Set(topology.bindings.map(key));
  const fileQueues = new Set(topology.queues.map((q) => q.name));
  return {
    missing: topology.bindings.filter((b) => !liveKeys.has(key(b))),
    unexpected: liveQueueBindings.filter((b) => fileQueues.has(b.queue) && !fileKeys.has(key(b))),
  };
}
