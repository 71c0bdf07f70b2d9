// Shared by the security e2e files (test/e2e/security*.test.ts) and the bus integration test
// (test/integration/state-manager-bus.test.ts): Redis snapshots and raw HTTP/TCP probes.
// (Waiting for a route: `routed` in test/helpers/env.ts; a server with settings of its own:
// `Cluster#startServer(id, port, env)`.)
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { sleep } from '../helpers/eventually.js';

export { sleep };

export type Snapshot = Record<string, unknown>;

/**
 * Every key of the namespace with its value, read by type. What changes on its own while
 * nothing happens is left out: the state managers' liveness hash and each server's `lastSync`,
 * and the `gone:` marks a server's hash keeps of sockets that closed (they record departures,
 * which these tests make on purpose, not state a refused request could change).
 */
export async function snapshot(redis: Redis, namespace: string): Promise<Snapshot> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const out: Snapshot = {};
  for (const key of keys.sort()) {
    if (key === `${namespace}:state-managers`) continue;
    const type = await redis.type(key);
    if (type === 'string') out[key] = await redis.get(key);
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'list') out[key] = await redis.lrange(key, 0, -1);
    else if (type === 'hash') {
      const hash = await redis.hgetall(key);
      if (/:server:[^:]+:connections$/.test(key)) {
        delete hash.lastSync;
        for (const field of Object.keys(hash)) if (field.startsWith('gone:')) delete hash[field];
      }
      out[key] = hash;
    } else out[key] = `<${type}>`;
  }
  return out;
}

/** A snapshot taken once two reads 150 ms apart agree (in-flight connects have landed). */
export async function settledSnapshot(redis: Redis, namespace: string): Promise<Snapshot> {
  let last = await snapshot(redis, namespace);
  for (let i = 0; i < 40; i++) {
    await sleep(150);
    const next = await snapshot(redis, namespace);
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  throw new Error('Redis did not settle');
}

/** Sends raw bytes over TCP and returns whatever comes back until the peer closes. */
export function rawHttp(port: number, request: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', done);
    socket.on('close', done);
  });
}

/** Sends an upgrade request and resets the TCP connection at once (RST, not FIN). */
export function upgradeAndReset(port: number, path: string, headers = ''): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
      );
      socket.resetAndDestroy();
      resolve();
    });
    socket.on('error', () => resolve());
  });
}
