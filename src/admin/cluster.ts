import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';
import type { Topology } from '../topology/index.js';
import type { SyncState } from '../protocol/index.js';
import { unwrap } from '../shared/redis/pipeline.js';
import { readHash } from '../shared/redis/scan.js';
import { ServerConnectionRecord } from '../shared/redis/records.js';

export interface ServerView {
  id: string;
  status: 'ACTIVE' | 'DOWN' | 'UNKNOWN';
  /** Connected clients. */
  connections: number;
  /** Their ids, sorted, at most `MAX_CLIENTS_LISTED`. */
  clients: string[];
  /** The server's last heartbeat as the state manager recorded it (`lastSync`). */
  lastHeartbeat: string | null;
  /** The server's queue. */
  queue: string;
}

export interface StateManagerView {
  id: string;
  lastHeartbeat: string;
  /** Heartbeat seen recently: the state manager is running its loop (and consuming). */
  alive: boolean;
}

export interface ClusterView {
  at: string;
  servers: ServerView[];
  stateManagers: StateManagerView[];
  /** The last sync_state broadcast received, if any. */
  syncState: { timestamp: string; receivedAt: string } | null;
  /** Where connection lists come from: the last sync_state, or Redis when none came lately. */
  source: 'sync_state' | 'redis';
  /** A heartbeat older than this (ms) counts as silent. */
  staleAfterMs: number;
}

export const MAX_CLIENTS_LISTED = 500;

/**
 * The cluster as the state manager sees it: servers, their status and connections (from the
 * last `sync_state` broadcast, with each server's last heartbeat from Redis) and the state
 * managers' heartbeats. Without a recent broadcast (no state manager running) the connection
 * lists are read from Redis instead.
 */
export class ClusterSource {
  private latest: { state: SyncState; receivedAt: Date } | undefined;

  constructor(
    private readonly deps: { redis: Redis; keys: RedisKeys; topology: Topology },
    /** A heartbeat (sync_state or state manager) older than this counts as silent. */
    readonly staleAfterMs: number,
  ) {}

  update(state: SyncState, receivedAt: Date): void {
    this.latest = { state, receivedAt };
  }

  /** When the last sync_state arrived. */
  lastReceivedAt(): Date | undefined {
    return this.latest?.receivedAt;
  }

  async snapshot(): Promise<ClusterView> {
    const { redis, keys, topology } = this.deps;
    const now = Date.now();
    const [known, managers] = unwrap(
      await redis.pipeline().smembers(keys.servers()).hgetall(keys.stateManagers()).exec(),
    ) as [string[], Record<string, string>];
    const sync =
      this.latest && now - this.latest.receivedAt.getTime() < this.staleAfterMs
        ? this.latest
        : undefined;
    const reported = sync?.state.data.servers ?? {};
    const ids = [...new Set([...known, ...Object.keys(reported)])].sort();

    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.serverConnections(id), 'status', 'lastSync');
    // Without a fresh sync_state, each server's clients come from its hash, read in pages.
    const [results, hashes] = await Promise.all([
      pipeline.exec().then(unwrap),
      sync ? undefined : Promise.all(ids.map((id) => readHash(redis, keys.serverConnections(id)))),
    ]);
    const servers = ids.map((id, i): ServerView => {
      const [status, lastSync] = (results[i] as (string | null)[] | undefined) ?? [];
      const hash = hashes?.[i];
      const fromRedis = hash && ServerConnectionRecord.clientsOf(Object.keys(hash));
      const clients = (fromRedis ?? reported[id]?.connections ?? []).slice().sort();
      return {
        id,
        status:
          status === 'ACTIVE' || status === 'DOWN' ? status : (reported[id]?.status ?? 'UNKNOWN'),
        connections: clients.length,
        clients: clients.slice(0, MAX_CLIENTS_LISTED),
        lastHeartbeat: lastSync ?? null,
        queue: topology.serverQueue(id).name,
      };
    });
    const stateManagers = Object.entries(managers)
      .map(([id, lastHeartbeat]) => ({
        id,
        lastHeartbeat,
        alive: now - Date.parse(lastHeartbeat) < this.staleAfterMs,
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    return {
      at: new Date(now).toISOString(),
      servers,
      stateManagers,
      syncState: this.latest
        ? {
            timestamp: this.latest.state.data.timestamp,
            receivedAt: this.latest.receivedAt.toISOString(),
          }
        : null,
      source: sync ? 'sync_state' : 'redis',
      staleAfterMs: this.staleAfterMs,
    };
  }
}
