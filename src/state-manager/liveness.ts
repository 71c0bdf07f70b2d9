import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import type { RedisKeys } from '../shared/redis/keys.js';
import { sleep } from '../shared/backoff.js';
import type { StateStore } from './state-store.js';
import type { Router } from './router.js';
import type { ServerRegistry } from './server-registry.js';
import { announceOffline } from './connections.js';
import type { Clock } from './clock.js';
import { toStateManagerMessage } from '../protocol/index.js';

interface LivenessDeps {
  store: StateStore;
  servers: ServerRegistry;
  router: Router;
  logger: Logger;
  keys: RedisKeys;
  redis: Redis;
  id: string;
  /** How far the heartbeat partition has been heard: judges silence (see `Clock`). */
  clock: Clock;
}

/**
 * Every second: puts a tick on the heartbeat partition and, while this state manager hears
 * that partition, marks servers whose last heartbeat is older than `serverDownAfterMs` before
 * what has been heard DOWN and removes their connections. Every `heartbeatIntervalMs`: records this state manager as alive and broadcasts
 * `sync_state` to all servers and the admin. Several state managers may run this at once;
 * each step is idempotent. Returns a stopper.
 */
export function startLiveness(
  deps: LivenessDeps,
  config: { heartbeatIntervalMs: number; serverDownAfterMs: number; retentionSeconds: number },
): () => Promise<void> {
  const abort = new AbortController();
  const sweepEveryMs = Math.min(1000, Math.max(100, config.serverDownAfterMs / 4));
  let lastBroadcast = 0;

  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        await deps.router
          .tick(
            toStateManagerMessage(deps.id, {
              messageType: 'tick',
              payload: { timestamp: new Date().toISOString() },
            }),
          )
          .catch((err: unknown) => deps.logger.debug({ err }, 'tick not published'));
        // Only the consumer of the heartbeat partition, and only while ticks keep arriving.
        const cutoff = deps.clock.silenceCutoff(config.serverDownAfterMs, 3 * sweepEveryMs + 1000);
        const down =
          cutoff !== undefined
            ? await deps.servers.markSilentServersDown(cutoff, new Date().toISOString())
            : [];
        for (const { serverId, offline } of down) {
          deps.logger.warn(
            { serverId, clients: offline.length },
            'server silent: marked DOWN, routes removed',
          );
          await announceOffline(deps, serverId, offline);
        }
        if (Date.now() - lastBroadcast >= config.heartbeatIntervalMs || down.length > 0) {
          lastBroadcast = Date.now();
          const timestamp = new Date().toISOString();
          await deps.redis.hset(deps.keys.stateManagers(), deps.id, timestamp);
          await forgetSilentStateManagers(deps, config.serverDownAfterMs * 10);
          // A server DOWN for the whole retention window is retired: nothing can resume there.
          const retired = await deps.servers.forgetRetired(
            new Date(Date.now() - config.retentionSeconds * 1000),
          );
          if (retired.length > 0) deps.logger.info({ retired }, 'retired servers forgotten');
          await deps.router.broadcast({
            type: 'sync_state',
            data: { servers: await deps.servers.snapshot(), timestamp },
          });
        }
      } catch (err) {
        deps.logger.warn({ err }, 'liveness sweep failed; will retry');
      }
      await sleep(sweepEveryMs, abort.signal);
    }
  })();

  return async () => {
    abort.abort();
    await loop;
    await deps.redis.hdel(deps.keys.stateManagers(), deps.id).catch(() => undefined);
  };
}

/** Drops state managers that stopped heartbeating long ago (killed, never closed cleanly). */
async function forgetSilentStateManagers(deps: LivenessDeps, olderThanMs: number): Promise<void> {
  const all = await deps.redis.hgetall(deps.keys.stateManagers());
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  const silent = Object.entries(all)
    .filter(([, at]) => at < cutoff)
    .map(([id]) => id);
  if (silent.length > 0) await deps.redis.hdel(deps.keys.stateManagers(), ...silent);
}
