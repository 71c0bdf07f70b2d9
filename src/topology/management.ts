import { z } from 'zod';
import { ManagementClient } from '../shared/management-api.js';
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
  const api = new ManagementClient(managementUrl, timeoutMs);
  const path = `/api/bindings/${encodeURIComponent(vhost)}`;
  const got = await api.get(path, z.array(ManagementBinding));
  if (!got.ok) return got;
  return { ok: true, bindings: got.value };
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
  const api = new ManagementClient(managementUrl, timeoutMs);
  const v = encodeURIComponent(vhost);
  const [nodes, ...found] = await Promise.all([
    api.get('/api/nodes?columns=name,running', z.array(ManagementNode)),
    ...queues.map((q) => api.find(`/api/queues/${v}/${encodeURIComponent(q)}`, ManagementQueue)),
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
    clusterNodes: nodes.value.map((n) => n.name).sort(),
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
