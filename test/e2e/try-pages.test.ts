// Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults), a built dist/
// (npm test builds first: tsc and the esbuild bundles of the try-it pages) and Debian's
// chromium at /usr/bin/chromium (or CHROMIUM_PATH). Runs `exam-relay dev` on free ports in a
// random namespace (plus a plain `exam-relay admin` beside it), drives the try-it pages in
// headless chromium through playwright-core, kills nothing, and deletes the namespace after.
import { tmpdir } from 'node:os';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { randomNamespace } from '../helpers/env.js';
import {
  ROOT,
  TEST_ADMIN_TOKEN,
  cleanNamespace,
  freePort,
  roleEnv,
  startRole,
  waitForHttp,
  type RoleProcess,
} from '../helpers/processes.js';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';

const credentials = { username: 'admin', password: TEST_ADMIN_TOKEN };
const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** The `role="status"` element once it shows exactly `status`. */
const statusShown = (page: Page, status: string) =>
  page
    .getByRole('status')
    .filter({ hasText: new RegExp(`^${status}$`) })
    .waitFor({ timeout: 15_000 });

const connectedTo = (page: Page, serverId: string) =>
  page
    .locator('#connection[data-state="open"]', { hasText: `connected to ${serverId}` })
    .waitFor({ timeout: 15_000 });

/**
 * The README's picture: the supervisor console beside an examinee page, side by side on one
 * canvas. docs/try.png is refreshed on request (UPDATE_SCREENSHOT=1), so a test run leaves the
 * work tree clean.
 */
async function screenshot(supervisor: Page, examinee: Page): Promise<void> {
  const shots = await Promise.all(
    [supervisor, examinee].map(async (page) =>
      (await page.screenshot({ fullPage: true })).toString('base64'),
    ),
  );
  const canvas = await supervisor.context().newPage();
  await canvas.setViewportSize({ width: 1240 + 560 + 36, height: 600 });
  await canvas.setContent(
    '<body style="margin:0;padding:12px;background:#cfd5dd;display:flex;gap:12px;align-items:flex-start">' +
      shots
        .map((b64) => `<img src="data:image/png;base64,${b64}" style="box-shadow:0 1px 4px #0003">`)
        .join('') +
      '</body>',
  );
  const path = process.env.UPDATE_SCREENSHOT
    ? `${ROOT}docs/try.png`
    : `${tmpdir()}/exam-relay-try-${process.pid}.png`;
  const shot = await canvas.screenshot({ path, fullPage: true });
  expect(shot.length).to.be.above(10_000);
  await canvas.close();
}

describe('try-it pages (e2e)', function () {
  this.timeout(90_000);
  const namespace = randomNamespace();
  let dev: RoleProcess;
  let base: string;
  let browser: Browser;
  const pages: WatchedPage[] = [];

  const open = async (path: string, width?: number) => {
    const watched = await openPage(browser, { credentials, ...(width ? { width } : {}) });
    pages.push(watched);
    const response = await watched.page.goto(`${base}${path}`);
    expect(response?.status(), path).to.equal(200);
    return watched;
  };

  before(async () => {
    const [admin, serverA, serverB] = [await freePort(), await freePort(), await freePort()];
    base = `http://127.0.0.1:${admin}`;
    dev = startRole(
      'dev',
      [
        'dev',
        '--admin-port',
        String(admin),
        '--server-a-port',
        String(serverA),
        '--server-b-port',
        String(serverB),
      ],
      roleEnv({ namespace, extra: { HEARTBEAT_INTERVAL_MS: '1000', LOG_FORMAT: 'json' } }),
    );
    await Promise.all([
      waitForHttp(`${base}/readyz`, 200, 30_000),
      waitForHttp(`http://127.0.0.1:${serverA}/readyz`, 200, 30_000),
      waitForHttp(`http://127.0.0.1:${serverB}/readyz`, 200, 30_000),
    ]);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const { context } of pages) await context.close().catch(() => undefined);
    await browser?.close();
    await dev?.stop();
    await cleanNamespace(namespace, ['serverA', 'serverB']);
  });

  describe('exam-relay dev', () => {
    it('prints the /try/ URL first, above the tokens', async () => {
      const deadline = Date.now() + 10_000;
      while (!dev.stderr.join('').includes('Demo tokens') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const lines = dev.stderr
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '');
      expect(lines[0]).to.include(`${base}/try/`);
      const tokens = lines.findIndex((l) => l.startsWith('Demo tokens'));
      expect(tokens).to.be.above(0);
    });

    it('serves /try/ with one link per demo identity', async () => {
      const typed = await fetch(`${base}/try`, { headers: auth, redirect: 'manual' });
      expect(typed.status).to.equal(308);
      expect(typed.headers.get('location')).to.equal('/try/');
      const res = await fetch(`${base}/try/`, { headers: auth });
      expect(res.status).to.equal(200);
      const html = await res.text();
      for (const path of [
        '/try/supervisor?as=S001',
        '/try/examinee?as=E001',
        '/try/examinee?as=E002',
        '/try/examinee?as=E003',
      ]) {
        expect(html).to.include(`href="${path}"`);
      }
    });

    it('asks for ADMIN_TOKEN before handing out a token', async () => {
      const res = await fetch(`${base}/try/api/session?as=S001`);
      expect(res.status).to.equal(401);
      const unknown = await fetch(`${base}/try/api/session?as=S999`, { headers: auth });
      expect(unknown.status).to.equal(404);
    });
  });

  describe('exam-relay admin', () => {
    it('has no /try/ routes', async () => {
      const port = await freePort();
      const admin = startRole('admin', ['admin', '--port', String(port)], roleEnv({ namespace }));
      try {
        await waitForHttp(`http://127.0.0.1:${port}/readyz`, 200, 30_000);
        for (const path of ['/try/', '/try/supervisor', '/try/api/session?as=S001']) {
          const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: auth });
          expect(res.status, path).to.equal(404);
        }
      } finally {
        await admin.stop();
      }
    });
  });

  describe('supervisor and examinee pages', () => {
    it('deliver a targeted and an exam-wide change to examinees on both servers, and keep it over a reload', async () => {
      const supervisor = await open('/try/supervisor?as=S001', 1240);
      const e1 = await open('/try/examinee?as=E001', 560);
      const e2 = await open('/try/examinee?as=E002', 560);
      await Promise.all([
        connectedTo(supervisor.page, 'serverB'),
        connectedTo(e1.page, 'serverA'),
        connectedTo(e2.page, 'serverB'),
      ]);
      const row = (id: string) => supervisor.page.locator(`#examinees tr[data-client="${id}"]`);
      for (const id of ['E001', 'E002']) {
        await row(id).locator('.presence.on').waitFor({ timeout: 15_000 });
      }

      // STARTED for E001 only, from its row.
      await row('E001').getByRole('button', { name: 'STARTED', exact: true }).click();
      await statusShown(e1.page, 'STARTED');
      const reply1 = row('E001').locator('.reply[data-reply="ack"]');
      await reply1.waitFor({ timeout: 15_000 });
      expect(await reply1.textContent()).to.equal(
        'STARTED acked: delivered to E001; pending for none',
      );
      await row('E001').locator('.status [data-status="STARTED"]').waitFor();

      // PAUSED for the whole exam.
      await supervisor.page
        .locator('#exam-wide')
        .getByRole('button', { name: 'PAUSED', exact: true })
        .click();
      await Promise.all([statusShown(e1.page, 'PAUSED'), statusShown(e2.page, 'PAUSED')]);
      const examReply = supervisor.page.locator('#exam-reply[data-reply="ack"]');
      await examReply.waitFor({ timeout: 15_000 });
      const [, delivered, pending] =
        /^PAUSED acked: delivered to (.*); pending for (.*)$/.exec(
          (await examReply.textContent()) ?? '',
        ) ?? [];
      expect(delivered?.split(', ').sort()).to.deep.equal(['E001', 'E002']);
      expect(pending).to.equal('none');
      for (const id of ['E001', 'E002']) {
        await row(id).locator('.status [data-status="PAUSED"]').waitFor({ timeout: 15_000 });
      }
      expect(await supervisor.page.locator('#exam-status').textContent()).to.equal('PAUSED');
      // E002 was never the target of the STARTED change.
      expect(await e2.page.locator('#log').textContent()).to.not.include('STARTED');

      // A reload starts a new client: the server's welcome brings the status back.
      await e1.page.reload();
      await connectedTo(e1.page, 'serverA');
      await statusShown(e1.page, 'PAUSED');

      for (const { errors } of [supervisor, e1, e2]) expect(errors).to.deep.equal([]);

      await screenshot(supervisor.page, e1.page);
    });

    it('show an examinee who first connects after an exam-wide change its status, on the server asked for', async () => {
      // E003 starts on serverA by default; &server= puts serverB first in its URL list.
      const e3 = await open('/try/examinee?as=E003&server=serverB', 560);
      await connectedTo(e3.page, 'serverB');
      await statusShown(e3.page, 'PAUSED');
      expect(e3.errors).to.deep.equal([]);
    });
  });
});
