// Fatal broker errors after start (issue 8, SPEC §3): a process whose broker refuses it for
// good exits with status 1 and a log line naming the cause, never staying up but not ready. A
// socket server's dedicated RabbitMQ user is deleted and its connection closed: the reconnect
// is refused (403 ACCESS_REFUSED). (A setup refused with 406 PRECONDITION_FAILED is tested in
// test/integration/amqp-fatal.test.ts.) Needs RabbitMQ (its management API on 15672 to close
// one connection by name; rabbitmqctl on PATH to add and delete the test's own user), Redis
// and a built dist/. Never closes any connection but the test's own. Run by
// `npm run test:faults`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Cluster } from '../../helpers/cluster.js';
import type { RoleProcess } from '../../helpers/processes.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MANAGEMENT = new URL(
  process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
);

/** A call of the management API (credentials from its URL, since fetch refuses them inline). */
function management(path: string, init: RequestInit = {}): Promise<Response> {
  const auth = Buffer.from(
    `${decodeURIComponent(MANAGEMENT.username)}:${decodeURIComponent(MANAGEMENT.password)}`,
  ).toString('base64');
  return fetch(new URL(path, MANAGEMENT.origin), {
    ...init,
    headers: { authorization: `Basic ${auth}` },
  });
}

/** Everything a process wrote, stdout (as JSON lines) and stderr. */
const output = (p: RoleProcess) =>
  [...p.lines.map((l) => JSON.stringify(l)), ...p.stderr].join('\n');

/** Resolves with the exit code, or rejects when the process is still running after `ms`. */
async function exitWithin(p: RoleProcess, ms: number): Promise<number | null> {
  const timeout = sleep(ms).then(() => 'running' as const);
  const result = await Promise.race([p.wait(), timeout]);
  if (result === 'running') throw new Error(`${p.name} still running after ${ms} ms\n${p.tail()}`);
  return result;
}

describe('fatal broker errors after start', function () {
  this.timeout(90_000);
  let cluster: Cluster | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) {
      for (const [id, s] of cluster.servers) console.log(`--- ${id}\n${s.process.tail(30)}`);
    }
    await cluster?.stop();
    cluster = undefined;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('exits 1 naming ACCESS_REFUSED when its user is deleted and its connection closed', async () => {
    const tag = randomBytes(4).toString('hex');
    const user = `exam-relay-fatal-${tag}`;
    const password = `PWfatal${randomBytes(8).toString('hex')}`;
    await run('rabbitmqctl', ['add_user', user, password]);
    cleanups.push(() => run('rabbitmqctl', ['delete_user', user]));
    await run('rabbitmqctl', ['set_permissions', '-p', '/', user, '.*', '.*', '.*']);

    cluster = await Cluster.start({ servers: [], stateManagers: 0 });
    const { process: server } = await cluster.startServer('serverA', undefined, {
      AMQP_URL: `amqp://${user}:${password}@127.0.0.1:5672`,
    });

    // The server's own connection, by user (the test's user has no other).
    let names: string[] = [];
    for (let i = 0; names.length === 0 && i < 100; i++) {
      const res = await management('/api/connections?columns=name,user');
      const all = (await res.json()) as { name: string; user: string }[];
      names = all.filter((c) => c.user === user).map((c) => c.name);
      if (names.length === 0) await sleep(200); // the API's connection list lags a moment
    }
    expect(names, 'connections of the test user').to.have.length(1);
    await run('rabbitmqctl', ['delete_user', user]);
    // RabbitMQ 3.10+ closes a deleted user's connections itself (320 CONNECTION_FORCED, "user
    // ... is deleted"), so the API may answer 404; older brokers keep them open until closed.
    for (const name of names) {
      const res = await management(`/api/connections/${encodeURIComponent(name)}`, {
        method: 'DELETE',
      });
      expect(res.status, `close ${name}`).to.be.oneOf([200, 204, 404]);
    }

    expect(await exitWithin(server, 20_000)).to.equal(1);
    const fatal = server.lines.find((l) => l.level === 60);
    expect(fatal?.msg, server.tail()).to.match(
      /fatal error.*refused the connection.*ACCESS.REFUSED/,
    );
    expect(server.lines.some((l) => l.msg === 'stopped after a fatal error')).to.equal(true);
    expect(output(server)).to.not.include(password);
  });
});
