// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults), a built dist/
// (npm test builds first) and Debian's chromium (CHROMIUM_PATH, default /usr/bin/chromium;
// playwright-core downloads none). Starts a state manager, serverA and serverB in a random
// namespace, serves dist/ to a headless page as plain ES modules (zod through an import map),
// and kills serverA with SIGKILL.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed as routedIn } from '../helpers/env.js';
import { ROOT } from '../helpers/processes.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

/**
 * The page: loads the built SDK, which finds the browser's own WebSocket and Web Crypto, and
 * runs an examinee and a supervisor client. The test drives it with string expressions: tsx
 * compiles function arguments of page.evaluate with helpers (`__name`) the page does not have.
 */
const PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "zod": "/node_modules/zod/index.js" } }</script>
<script type="module">
  import { ExamRelayClient } from '/dist/client/index.js';
  const relay = { changes: [], connected: [], acks: [] };
  const clients = [];
  window.relay = relay;
  window.start = async ({ urlsExaminee, urlsSupervisor, tokens }) => {
    const backoff = { baseMs: 50, capMs: 500 };
    // No WebSocket option: the browser's global one is the default.
    const examinee = new ExamRelayClient({ urls: urlsExaminee, token: tokens.examinee, backoff });
    const supervisor = new ExamRelayClient({
      urls: urlsSupervisor,
      token: async () => tokens.supervisor,
      backoff,
    });
    examinee.on('statusChange', (c) => relay.changes.push({ seq: c.seq, id: c.id }));
    examinee.on('connected', (c) => relay.connected.push(c.serverId));
    supervisor.on('ack', (a) => relay.acks.push(a.id));
    clients.push(examinee, supervisor);
    await Promise.all([examinee.connect(), supervisor.connect()]);
  };
  // No ids given: the SDK makes them with crypto.randomUUID.
  window.send = (n) =>
    Promise.all(
      Array.from({ length: n }, () =>
        clients[1].changeStatus({ targetExamineeId: 'E401' }, 'STARTED'),
      ),
    ).then(() => n);
  window.closeAll = () => Promise.all(clients.map((c) => c.close())).then(() => true);
  window.sdkLoaded = true;
</script>`;

/** Serves the page, dist/ and zod, and nothing else. */
function staticServer(): Promise<Server> {
  const roots = ['/dist/', '/node_modules/zod/'];
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    if (!roots.some((root) => path.startsWith(root)) || path.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(ROOT, path)).then(
      (body) => {
        const type = extname(path) === '.js' ? 'text/javascript' : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type }).end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** What the page's clients saw, read back with `page.evaluate`. */
interface PageState {
  changes: { seq: number; id: string }[];
  connected: string[];
  acks: string[];
}

describe('ExamRelayClient in a browser (real cluster)', function () {
  this.timeout(40_000);
  let cluster: Cluster;
  let redis: Redis;
  let http: Server;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const url = (serverId: string) => `ws://127.0.0.1:${cluster.port(serverId)}/ws`;
  const state = () => page.evaluate<PageState>('relay');
  const routed = (clientId: string, serverId: string) =>
    routedIn(redis, cluster.namespace, clientId, serverId);

  before(async () => {
    // Each is kept as soon as it is up and only then is a failure thrown, so `after` stops
    // whatever started even when another part (say, the browser) could not.
    const started = await Promise.allSettled([
      Cluster.start({ servers: ['serverA', 'serverB'] }).then((c) => (cluster = c)),
      staticServer().then((s) => (http = s)),
      chromium
        .launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
        .then((b) => (browser = b)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    redis = rawRedis();
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    await page.waitForFunction('window.sdkLoaded === true');
  });
  after(async () => {
    // Each step runs even if an earlier one fails, so no process outlives the test.
    await page?.evaluate('closeAll()').catch(() => undefined);
    await browser?.close().catch(() => undefined);
    http?.close();
    redis?.disconnect();
    await cluster?.stop();
  });

  describe('failover', () => {
    it('uses the global WebSocket, acks changes, and resumes every change once after its server is killed', async () => {
      const tokens = {
        examinee: await cluster.token('E401', 'examinee'),
        supervisor: await cluster.token('S401', 'supervisor'),
      };
      const setup = {
        urlsExaminee: [url('serverA'), url('serverB')],
        urlsSupervisor: [url('serverB')],
        tokens,
      };
      await page.evaluate(`start(${JSON.stringify(setup)})`);
      await routed('E401', 'serverA');

      const send = (n: number) => page.evaluate(`send(${n})`);
      await send(5);
      await cluster.servers.get('serverA')?.process.stop('SIGKILL');
      await send(5);

      const deadline = Date.now() + 15_000;
      while ((await state()).changes.length < 10 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive within this
      const { changes, connected, acks } = await state();
      expect(connected).to.deep.equal(['serverA', 'serverB']);
      expect(changes.map((c) => c.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(new Set(changes.map((c) => c.id)).size).to.equal(10);
      // No ids were passed: the SDK made v4 UUIDs with the page's Web Crypto.
      expect(acks.sort()).to.deep.equal(changes.map((c) => c.id).sort());
      for (const id of acks) expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
      expect(pageErrors).to.deep.equal([]);
    });
  });
});
