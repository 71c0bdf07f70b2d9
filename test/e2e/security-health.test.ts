// Hostile requests to the socket server's HTTP side: /healthz, /readyz, /metrics and the
// upgrade path. Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and
// a built dist/ (npm test builds first). Starts real exam-relay processes in a random namespace.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed } from '../helpers/env.js';
import { TEST_ADMIN_TOKEN, TEST_SECRET, type RoleProcess } from '../helpers/processes.js';
import { TestClient } from '../helpers/ws-client.js';
import {
  rawHttp,
  settledSnapshot,
  snapshot,
  upgradeAndReset,
  type Snapshot,
} from './security-support.js';

/** Nothing a client is told may carry internals: stack frames, file paths, secrets. */
function expectNoLeak(text: string): void {
  expect(text).to.not.match(/\bat [\w.<>]+ \(|node:internal|\/work\/|\/src\/|\.ts:\d|\.js:\d/);
  expect(text).to.not.include(TEST_SECRET);
  expect(text).to.not.include(TEST_ADMIN_TOKEN);
}

describe('security: health endpoints and upgrades', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let redis: Redis;
  let port: number;
  let base: string;
  let initial: Snapshot;
  /** A server that takes upgrades only from one Origin. */
  let strict: { process: RoleProcess; port: number };

  before(async () => {
    cluster = await Cluster.start({ servers: ['serverA'] });
    redis = rawRedis();
    port = cluster.port('serverA');
    base = `http://127.0.0.1:${port}`;
    strict = await cluster.startServer('serverO', undefined, {
      ALLOWED_ORIGINS: 'https://exam.example',
    });
    // S001 has been here before: logging it in and out again leaves Redis as it was.
    const s1 = await TestClient.login(port, await cluster.token('S001', 'supervisor'));
    await routed(redis, cluster.namespace, 'S001', 'serverA');
    s1.close();
    await routed(redis, cluster.namespace, 'S001', undefined);
    initial = await settledSnapshot(redis, cluster.namespace);
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  /** The server is still up and serving, and Redis holds what it held before. */
  async function stillServing(): Promise<void> {
    expect(cluster.servers.get('serverA')?.process.child.exitCode).to.equal(null);
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    expect(await snapshot(redis, cluster.namespace)).to.deep.equal(initial);
  }

  describe('GET /healthz, /readyz, /metrics', () => {
    it('answers 405 to every other method', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
        for (const path of ['/healthz', '/readyz', '/metrics', '/ws']) {
          const res = await rawHttp(
            port,
            `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
          );
          expect(res, `${method} ${path}`).to.match(/^HTTP\/1\.1 405 /);
          expect(res).to.match(/\r\nallow: GET, HEAD\r\n/i);
          expectNoLeak(res);
        }
      }
      await stillServing();
    });

    it('answers 404 to unknown, traversing and encoded paths and ignores queries', async () => {
      const paths = [
        '/',
        '/healthz/',
        '//healthz',
        '/healthz/../metrics',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/../../etc/passwd',
        '/%zz',
        '/%00',
        '/admin',
        '/metrics.json',
        `/${'a'.repeat(4000)}`,
      ];
      for (const path of paths) {
        const res = await rawHttp(
          port,
          `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        expect(res, path).to.match(/^HTTP\/1\.1 404 /);
        expectNoLeak(res);
      }
      for (const query of [
        '?__proto__[x]=1',
        '?constructor=1',
        `?q=${'%'.repeat(3000)}`,
        '?a&a&a',
      ]) {
        expect((await fetch(`${base}/healthz${query}`)).status, query).to.equal(200);
      }
      await stillServing();
    });

    it('answers malformed HTTP with 400/431 and never with internals', async () => {
      const requests = [
        'GARBAGE\r\n\r\n',
        'GET /healthz HTTP/9.9\r\n\r\n',
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
        'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
        '\x00\x01\x02\x03\xff\xfe\r\n\r\n',
      ];
      for (const request of requests) {
        const res = await rawHttp(port, request);
        expect(res, JSON.stringify(request.slice(0, 40))).to.match(/^(HTTP\/1\.1 4\d\d |$)/);
        expectNoLeak(res);
      }
      await stillServing();
    });

    it('serves /metrics without secrets, tokens or client frames', async () => {
      const token = await cluster.token('S001', 'supervisor');
      const client = await TestClient.login(port, token);
      client.change('leak?', { token: TEST_SECRET });
      await client.next((f) => f.type === 'error');
      client.close();
      await client.closed;
      await routed(redis, cluster.namespace, 'S001', undefined);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).to.include('exam_relay_frames_in_total');
      expect(text).to.not.include(token);
      expect(text).to.not.include('leak?');
      expectNoLeak(text);
    });
  });

  describe('upgrade', () => {
    it('refuses an upgrade on another path with 404', async () => {
      const res = await rawHttp(
        port,
        'GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      expect(res).to.match(/^HTTP\/1\.1 404 /);
      await stillServing();
    });

    it('answers a broken handshake on /ws with 400 and stays up', async () => {
      for (const headers of [
        'Sec-WebSocket-Version: 13\r\n',
        'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n',
      ]) {
        const res = await rawHttp(
          port,
          `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}\r\n`,
        );
        expect(res).to.match(/^HTTP\/1\.1 4\d\d /);
        expectNoLeak(res);
      }
      await stillServing();
    });

    it('survives clients that reset the connection right after an upgrade, refused or not', async () => {
      // A refused upgrade (wrong path, full server, Origin not allowed) writes its answer to a
      // socket Node's HTTP server no longer watches for errors: a reset would crash the process.
      for (let i = 0; i < 300; i++) {
        await upgradeAndReset(port, '/nope');
        await upgradeAndReset(strict.port, '/ws', 'Origin: https://evil.example\r\n');
        await upgradeAndReset(port, '/ws'); // accepted, then reset mid-handshake
      }
      const a = cluster.servers.get('serverA')?.process;
      expect(a?.child.exitCode, a?.tail(5)).to.equal(null);
      expect(strict.process.child.exitCode, strict.process.tail(5)).to.equal(null);
      expect((await fetch(`http://127.0.0.1:${strict.port}/healthz`)).status).to.equal(200);
      await stillServing();
    });
  });
});
