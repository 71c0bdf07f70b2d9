import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';
import { connectionField } from '../shared/redis/keys.js';
import { runScript } from '../shared/redis/script.js';
import { HEARTBEAT, MARK_DOWN_IF_SILENT } from './scripts.js';
import { CLIENT_FIELD, unwrap, type Offline, type StateStore } from './state-store.js';

/** What reconciling a heartbeat changed. */
export interface HeartbeatResult {
  /** Clients Redis had on the server that the server no longer holds. */
  offline: Offline[];
  /** Clients the server holds that Redis lacked, with their latest seq. */
  restored: { clientId: string; seq: number }[];
}

/**
 * Socket servers as Redis knows them: heartbeats reconciled against each server's
 * connections, silent servers marked DOWN, and the `sync_state` snapshot of all of them.
 */
export class ServerRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly store: StateStore,
  ) {}

  /**
   * Records a server's heartbeat and reconciles Redis with the connections it reports: adds
   * the missing, removes those Redis has that the server no longer holds (connected before
   * the heartbeat was taken, so not a connect that overtook it). Returns who went offline.
   */
  async heartbeat(
    serverId: string,
    connections: string[],
    takenAt: string,
  ): Promise<HeartbeatResult> {
    const k = this.keys;
    const fields = await this.redis.hgetall(k.serverConnections(serverId));
    const reported = new Set(connections);
    const known = new Set<string>();
    const stale: string[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (!field.startsWith(CLIENT_FIELD)) continue;
      const clientId = field.slice(CLIENT_FIELD.length);
      known.add(clientId);
      if (!reported.has(clientId) && value < takenAt) stale.push(clientId);
    }
    const missing = connections.filter((id) => !known.has(id));
    const seqs = (await runScript(
      this.redis,
      HEARTBEAT,
      2 + missing.length * 2,
      k.serverConnections(serverId),
      k.servers(),
      ...missing.flatMap((id) => [k.clientRoute(id), k.clientSeq(id)]),
      serverId,
      new Date().toISOString(),
      takenAt,
      ...missing.map(connectionField),
    )) as number[];
    const gone = await Promise.all(stale.map((id) => this.store.dropRoute(id, serverId)));
    return {
      offline: gone.filter((o): o is Offline => o !== undefined),
      restored: missing.map((clientId, i) => ({ clientId, seq: Number(seqs[i] ?? 0) })),
    };
  }

  /** Marks servers silent since before `cutoff` DOWN and drops their routes. */
  async markSilentServersDown(cutoff: Date): Promise<{ serverId: string; offline: Offline[] }[]> {
    const k = this.keys;
    const servers = await this.redis.smembers(k.servers());
    const down: { serverId: string; offline: Offline[] }[] = [];
    for (const serverId of servers) {
      const changed = await runScript(
        this.redis,
        MARK_DOWN_IF_SILENT,
        1,
        k.serverConnections(serverId),
        cutoff.toISOString(),
      );
      if (changed !== 1) continue;
      const fields = await this.redis.hkeys(k.serverConnections(serverId));
      const clients = fields
        .filter((f) => f.startsWith(CLIENT_FIELD))
        .map((f) => f.slice(CLIENT_FIELD.length));
      const gone = await Promise.all(clients.map((id) => this.store.dropRoute(id, serverId)));
      down.push({ serverId, offline: gone.filter((o): o is Offline => o !== undefined) });
    }
    return down;
  }

  /** Forgets servers DOWN since before `cutoff` (their connections hash and registration). */
  async forgetRetired(cutoff: Date): Promise<string[]> {
    const k = this.keys;
    const servers = await this.redis.smembers(k.servers());
    const retired: string[] = [];
    for (const serverId of servers) {
      const [status, lastSync] = await this.redis.hmget(
        k.serverConnections(serverId),
        'status',
        'lastSync',
      );
      if (status !== 'DOWN' || !lastSync || lastSync >= cutoff.toISOString()) continue;
      await this.redis
        .multi()
        .srem(k.servers(), serverId)
        .del(k.serverConnections(serverId))
        .exec();
      retired.push(serverId);
    }
    return retired;
  }

  /** Every known server's connections and status, as `sync_state` reports them. */
  async snapshot(): Promise<Record<string, { connections: string[]; status: 'ACTIVE' | 'DOWN' }>> {
    const servers = (await this.redis.smembers(this.keys.servers())).sort();
    const pipeline = this.redis.pipeline();
    for (const id of servers) pipeline.hgetall(this.keys.serverConnections(id));
    const hashes = unwrap(await pipeline.exec()) as Record<string, string>[];
    return Object.fromEntries(
      servers.map((id, i) => {
        const hash = hashes[i] ?? {};
        const connections = Object.keys(hash)
          .filter((f) => f.startsWith(CLIENT_FIELD))
          .map((f) => f.slice(CLIENT_FIELD.length))
          .sort();
        return [id, { connections, status: hash.status === 'DOWN' ? 'DOWN' : 'ACTIVE' }];
      }),
    );
  }
}
