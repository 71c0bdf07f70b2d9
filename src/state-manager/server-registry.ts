import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis/keys.js';
import { ServerConnectionRecord } from '../shared/redis/records.js';
import type { ConnectionInfo } from '../protocol/index.js';
import { unwrap } from '../shared/redis/pipeline.js';
import { readHash } from '../shared/redis/scan.js';
import type { Offline, StateStore } from './state-store.js';

/** What reconciling a heartbeat found. */
export interface HeartbeatResult {
  /** Clients whose last connection was one Redis had on the server that it no longer holds. */
  offline: Offline[];
  /** Connections the server holds that Redis lacks: to restore. */
  missing: ConnectionInfo[];
  /**
   * How many of the connections the server holds that Redis has were kept alive (their keys
   * written again, every `keepAliveEveryMs` per server; 0 when not due).
   */
  keptAlive: number;
}

/** How many disconnect scripts a heartbeat or a DOWN sweep has in flight at once. */
const DISCONNECTS_AT_ONCE = 100;

/**
 * Socket servers as Redis knows them: heartbeats reconciled against each server's
 * connections, silent servers marked DOWN, and the `sync_state` snapshot of all of them.
 */
export class ServerRegistry {
  /** When each server's connections were last kept alive (`performance.now()`). */
  private readonly lastKeptAlive = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly store: StateStore,
    /**
     * How often the keys of a server's open connections are written again so they never
     * expire while open: a fraction of their expiry, so a heartbeat or two may go unheard.
     */
    private readonly keepAliveEveryMs: number,
  ) {}

  /**
   * Records a server's heartbeat (taken at `takenAt`, heard at `heardAt`) and compares Redis
   * with the connections it reports. Removes connections Redis has that the server no
   * longer holds (registered before the heartbeat was taken, so not a connect that overtook
   * it) and the `gone:` marks the heartbeat has outlived, and when due keeps the keys of the
   * connections it still holds from expiring; returns the missing to restore.
   */
  async heartbeat(
    serverId: string,
    clients: ConnectionInfo[],
    at: { takenAt: string; heardAt: string },
  ): Promise<HeartbeatResult> {
    const key = this.keys.serverConnections(serverId);
    unwrap(
      await this.redis
        .multi()
        .hset(key, 'status', 'ACTIVE', 'lastSync', at.heardAt)
        .sadd(this.keys.servers(), serverId)
        .exec(),
    );
    // In pages: a server may hold tens of thousands of connections. What connects or leaves
    // meanwhile is told apart by connId and time below, as a change after the read would be.
    const known = ServerConnectionRecord.decode(await readHash(this.redis, key));
    const reported = new Map(clients.map((c) => [c.clientId, c]));
    const registered = (c: ConnectionInfo) =>
      known.connections.get(c.clientId)?.connId === c.connId;
    const missing = clients.filter((c) => !registered(c));
    const stale = [...known.connections].filter(
      ([clientId, c]) => reported.get(clientId)?.connId !== c.connId && c.since < at.takenAt,
    );
    const outlived = [...known.gone]
      .filter(([, g]) => g.at < at.takenAt)
      .map(([clientId]) => ServerConnectionRecord.goneField(clientId));
    if (outlived.length > 0) await this.redis.hdel(key, ...outlived);
    return {
      offline: await this.disconnect(serverId, stale, at.takenAt),
      missing,
      keptAlive: await this.keepAlive(serverId, clients.filter(registered)),
    };
  }

  /**
   * Removes connections of `serverId` (each only if it still has that connId), DISCONNECTS_AT_ONCE
   * at a time: a server that went down with 10,000 clients costs 100 round trips, not 10,000
   * (9,000 one by one took 650-880 ms against a local Redis). Returns the clients that went
   * offline, in the order given.
   */
  private async disconnect(
    serverId: string,
    connections: [clientId: string, c: { connId: string }][],
    at: string,
  ): Promise<Offline[]> {
    const offline: Offline[] = [];
    for (let i = 0; i < connections.length; i += DISCONNECTS_AT_ONCE) {
      const gone = await Promise.all(
        connections
          .slice(i, i + DISCONNECTS_AT_ONCE)
          .map(([clientId, c]) =>
            this.store.disconnect({ clientId, connId: c.connId, serverId, at }),
          ),
      );
      for (const g of gone) if (g) offline.push(g);
    }
    return offline;
  }

  /** Open connections outlive the retention their keys expire by: keeps them, when due. */
  private async keepAlive(serverId: string, open: ConnectionInfo[]): Promise<number> {
    const now = performance.now();
    const last = this.lastKeptAlive.get(serverId);
    if (last !== undefined && now - last < this.keepAliveEveryMs) return 0;
    const kept = await this.store.keepAlive(serverId, open);
    // Only once done: after a failure the next heartbeat tries again.
    this.lastKeptAlive.set(serverId, now);
    return kept;
  }

  /** Marks servers heard last before `cutoff` DOWN and removes their connections. */
  async markSilentServersDown(
    cutoff: string,
    now: string,
  ): Promise<{ serverId: string; offline: Offline[] }[]> {
    const servers = await this.redis.smembers(this.keys.servers());
    const down: { serverId: string; offline: Offline[] }[] = [];
    for (const serverId of servers) {
      if ((await this.store.markDownIfSilent(serverId, cutoff)) !== 1) continue;
      const hash = await readHash(this.redis, this.keys.serverConnections(serverId));
      const { connections } = ServerConnectionRecord.decode(hash);
      down.push({ serverId, offline: await this.disconnect(serverId, [...connections], now) });
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
      // UNLINK: a big hash is freed off Redis's main thread.
      await this.redis
        .multi()
        .srem(k.servers(), serverId)
        .unlink(k.serverConnections(serverId))
        .exec();
      this.lastKeptAlive.delete(serverId);
      retired.push(serverId);
    }
    return retired;
  }

  /** Every known server's connections and status, as `sync_state` reports them. */
  async snapshot(): Promise<Record<string, { connections: string[]; status: 'ACTIVE' | 'DOWN' }>> {
    const servers = (await this.redis.smembers(this.keys.servers())).sort();
    const hashes = await Promise.all(
      servers.map((id) => readHash(this.redis, this.keys.serverConnections(id))),
    );
    return Object.fromEntries(
      servers.map((id, i) => {
        const record = ServerConnectionRecord.decode(hashes[i] ?? {});
        return [id, { connections: [...record.connections.keys()].sort(), status: record.status }];
      }),
    );
  }
}
