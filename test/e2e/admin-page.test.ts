// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults), a built dist/
// (npm test builds first) and Debian's chromium at /usr/bin/chromium (or CHROMIUM_PATH).
// Starts a state manager, serverA, serverB and the admin as real processes in a random
// namespace, and drives the admin page in headless chromium through playwright-core.
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { expect } from 'chai';
import amqp from 'amqplib';
import type { Browser } from 'playwright-core';
import { Cluster } from '../helpers/cluster.js';
import { AMQP_URL } from '../helpers/env.js';
import {
  ROOT,
  TEST_ADMIN_TOKEN,
  TEST_SECRET,
  freePort,
  startRole,
  waitForHttp,
  type RoleProcess,
} from '../helpers/processes.js';
import { TestClient } from '../helpers/ws-client.js';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { loadTopologyFile } from '../../src/topology/load.js';
import { BusSigner } from '../../src/shared/bus-signature.js';

const REASON = 'parked by the e2e test';

describe('admin page (e2e)', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let admin: RoleProcess;
  let base: string;
  let browser: Browser;
  let ui: WatchedPage;
  let e1: TestClient;
  let e2: TestClient;
  let s1: TestClient;

  before(async () => {
    cluster = await Cluster.start({ env: { HEARTBEAT_INTERVAL_MS: '1000' } });
    const port = await freePort();
    admin = startRole('admin', ['admin', '--port', String(port)], cluster.env());
    base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/readyz`);
    const login = async (server: string, id: string, role: 'examinee' | 'supervisor') =>
      TestClient.login(cluster.port(server), await cluster.token(id, role));
    [e1, e2, s1] = await Promise.all([
      login('serverA', 'E001', 'examinee'),
      login('serverB', 'E002', 'examinee'),
      login('serverB', 'S001', 'supervisor'),
    ]);
    browser = await launchBrowser();
    ui = await openPage(browser, {
      credentials: { username: 'admin', password: TEST_ADMIN_TOKEN },
    });
  });
  after(async () => {
    for (const client of [e1, e2, s1]) client?.close();
    await browser?.close();
    await admin?.stop();
    await cluster?.stop();
  });

  it('loads without script errors and shows both servers and their clients', async () => {
    const { page } = ui;
    const response = await page.goto(`${base}/?exam=EXAM1`);
    expect(response?.status()).to.equal(200);
    const server = (id: string) => page.locator(`#servers tr[data-server="${id}"]`);
    await server('serverA').locator('[data-client="E001"]').waitFor({ timeout: 10_000 });
    await server('serverB').locator('[data-client="E002"]').waitFor({ timeout: 10_000 });
    await server('serverB').locator('[data-client="S001"]').waitFor();
    expect(await server('serverA').locator('.pill').textContent()).to.equal('ACTIVE');
    expect(await server('serverB').locator('.connections').textContent()).to.equal('2');
    expect(await page.locator('#state-managers tbody tr .pill').textContent()).to.equal(
      'consuming',
    );
    await page.locator('#live[data-state="live"]').waitFor();
    expect(ui.errors).to.deep.equal([]);
  });

  it('shows a status change within seconds without a reload', async () => {
    const { page } = ui;
    const status = page.locator('#exam-table tr[data-client="E001"] .status');
    await status.waitFor({ timeout: 10_000 });
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));

    const sent = Date.now();
    s1.change('ui-1', { targetExamineeId: 'E001', status: 'STARTED' });
    await page
      .locator('#exam-table tr[data-client="E001"] .status .pill[data-status="STARTED"]')
      .waitFor({ timeout: 5000 });
    expect(Date.now() - sent).to.be.below(5000);
    expect(await page.evaluate(() => 'notReloaded' in window)).to.equal(true);
    expect(ui.errors).to.deep.equal([]);
  });

  it('draws live charts that move as samples arrive', async () => {
    const { page } = ui;
    for (const id of ['chart-rate', 'chart-depth', 'chart-connections', 'chart-dlq']) {
      await page.locator(`#${id} .uplot canvas`).waitFor({ timeout: 10_000 });
    }
    const points = () =>
      page.locator('#chart-depth .uplot').getAttribute('data-points').then(Number);
    const before = await points();
    for (let i = 0; i < 3; i++) {
      s1.change(`chart-${i}`, { targetExamineeId: 'E002', status: 'PAUSED' });
    }
    await page.waitForFunction(
      (n) => Number(document.querySelector('#chart-depth .uplot')?.getAttribute('data-points')) > n,
      before,
      { timeout: 15_000 },
    );
    const connections = await page.locator('#chart-connections .u-legend').textContent();
    expect(connections).to.include('serverA').and.include('serverB');
    expect(ui.errors).to.deep.equal([]);
  });

  it('shows a dead letter and replays it so that the examinee receives it', async () => {
    const { page } = ui;
    const { names } = await loadTopologyFile(`${ROOT}topology/topology.yaml`, cluster.namespace);
    const connection = await amqp.connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      // Signed as a socket server signs (the bus key derives from AUTH_SECRET).
      const signer = new BusSigner(TEST_SECRET);
      // Refused by the state manager, which dead-letters it with x-relay-reason.
      const invalid = Buffer.from('{"oops');
      channel.publish(names.statusExchange, names.statusRoutingKey, invalid, {
        persistent: true,
        headers: signer.headers(invalid),
      });
      // A valid change parked in the DLQ, as if it had failed: replaying it must deliver it.
      const command = {
        type: 'route_message',
        data: {
          sourceServer: 'serverB',
          targetServer: 'state-manager',
          messageType: 'status_change',
          requestId: 'dl-ui-1',
          payload: {
            supervisorId: 'S001',
            examId: 'EXAM1',
            targetExamineeId: 'E001',
            status: 'PAUSED',
            timestamp: new Date().toISOString(),
          },
        },
      };
      const body = Buffer.from(JSON.stringify(command));
      channel.publish(names.deadLetterExchange, '', body, {
        persistent: true,
        headers: signer.headers(body, { 'x-relay-reason': REASON }),
      });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }

    const row = page.locator('#dl-table tbody tr', { hasText: REASON });
    await row.waitFor({ timeout: 10_000 });
    await page.locator('#dl-table tbody tr', { hasText: 'invalid message' }).waitFor();
    expect(await page.locator('#dl-count').textContent()).to.equal('2');
    expect(e1.frames.some((f) => f.id === 'dl-ui-1')).to.equal(false);

    await row.locator('button[data-action="replay"]').click();
    const frame = await e1.next((f) => f.type === 'status_change' && f.id === 'dl-ui-1');
    expect(frame.data).to.include({
      supervisorId: 'S001',
      targetExamineeId: 'E001',
      status: 'PAUSED',
    });
    await s1.next((f) => f.type === 'ack' && f.id === 'dl-ui-1');
    await page.locator('#dl-flash', { hasText: 'Replayed 1 message to status_queue.' }).waitFor();
    await row.waitFor({ state: 'detached' });
    await page
      .locator('#exam-table tr[data-client="E001"] .status .pill[data-status="PAUSED"]')
      .waitFor({ timeout: 5000 });
    expect(ui.errors).to.deep.equal([]);
  });

  it('traces a request, looks up a client and takes a full-page screenshot', async () => {
    const { page } = ui;
    await page.fill('#trace-input', 'ui-1');
    await page.click('#trace-form button');
    await page.locator('#trace-view .steps', { hasText: 'Routed to serverA' }).waitFor();
    expect(await page.locator('#trace-view').textContent()).to.include('Received by serverB');
    await page.locator('#topology-state .pill', { hasText: 'matches the file' }).waitFor();
    await page.locator('#servers [data-client="E001"]').click();
    await page.locator('#client-view dd', { hasText: 'serverA (ACTIVE)' }).waitFor();
    expect(await page.locator('#client-view').textContent()).to.include('examinee in EXAM1');
    // The lookup scrolls the client panel into view; the full-page shot starts from the top.
    await page.mouse.move(0, 0);
    await page.evaluate(async () => {
      for (let last = -1; window.scrollY !== last;) {
        last = window.scrollY;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      window.scrollTo({ top: 0, behavior: 'instant' });
    });
    // docs/admin.png (the README's picture) is refreshed on request, so a test run leaves the
    // work tree clean: UPDATE_SCREENSHOT=1 npm test.
    const path = process.env.UPDATE_SCREENSHOT
      ? `${ROOT}docs/admin.png`
      : `${tmpdir()}/exam-relay-admin-${process.pid}.png`;
    await mkdir(dirname(path), { recursive: true });
    const shot = await page.screenshot({ path, fullPage: true });
    expect(shot.length).to.be.above(10_000);
    expect(ui.errors).to.deep.equal([]);
  });

  it('refuses access without the token', async () => {
    const anonymous = await openPage(browser);
    try {
      const { page, context } = anonymous;
      // Headless chromium has no prompt: the navigation ends on the 401 page, or fails with
      // ERR_INVALID_AUTH_CREDENTIALS. Either way the admin page is not shown.
      const status = await page.goto(`${base}/`).then(
        (response) => response?.status(),
        (err: Error) => (err.message.includes('ERR_INVALID_AUTH_CREDENTIALS') ? 401 : err.message),
      );
      expect(status).to.equal(401);
      expect(await page.locator('#servers').count()).to.equal(0);

      const wrong = `Basic ${Buffer.from('admin:not-the-token-0123456789').toString('base64')}`;
      const attempts: Record<string, string>[] = [
        {},
        { authorization: wrong },
        { authorization: 'Bearer nope' },
      ];
      for (const headers of attempts) {
        for (const path of ['/', '/api/cluster', '/api/events', '/assets/admin.js']) {
          const response = await context.request.get(`${base}${path}`, { headers });
          expect(response.status(), path).to.equal(401);
          expect(response.headers()['www-authenticate']).to.match(/^Basic realm="exam-relay"/);
        }
      }
    } finally {
      await anonymous.context.close();
    }
  });
});
