// Secrets never reach logs: a server and a state manager run a real session with AMQP_URL
// carrying a temporary RabbitMQ user's password and REDIS_URL carrying a password, at log level
// trace, and failing cases (wrong broker password, wrong Redis credentials) log their errors;
// no captured stdout or stderr line may contain a password, a client token, AUTH_SECRET or
// ADMIN_TOKEN. Needs RabbitMQ (with rabbitmqctl on PATH, to add and delete the user) and Redis
// running, and a built dist/ (npm test builds first). Starts real exam-relay processes in a
// random namespace.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed } from '../helpers/env.js';
import {
  TEST_ADMIN_TOKEN,
  TEST_SECRET,
  runCommand,
  startRole,
  type RoleProcess,
} from '../helpers/processes.js';
import { TestClient } from '../helpers/ws-client.js';
import { handToken, validClaims } from '../unit/protocol/hostile-tokens.js';

const run = promisify(execFile);
const tag = randomBytes(4).toString('hex');
const USER = `exam-relay-sec-${tag}`;
const PASSWORD = `PWamqp${randomBytes(8).toString('hex')}`;
const WRONG_PASSWORD = `PWwrong${randomBytes(8).toString('hex')}`;
const REDIS_PASSWORD = `PWredis${randomBytes(8).toString('hex')}`;
const AMQP_URL = `amqp://${USER}:${PASSWORD}@127.0.0.1:5672`;

/** Everything a process wrote, stdout (as JSON lines) and stderr. */
const output = (p: RoleProcess) =>
  [...p.lines.map((l) => JSON.stringify(l)), ...p.stderr].join('\n');

describe('security: secrets in logs', function () {
  this.timeout(60_000);
  let cluster: Cluster | undefined;
  let redis: Redis;
  const extra: RoleProcess[] = [];

  before(async () => {
    await run('rabbitmqctl', ['add_user', USER, PASSWORD]);
    await run('rabbitmqctl', ['set_permissions', '-p', '/', USER, '.*', '.*', '.*']);
    redis = rawRedis();
  });
  after(async () => {
    await Promise.allSettled(extra.map((p) => p.stop('SIGKILL')));
    await cluster?.stop();
    redis.disconnect();
    await run('rabbitmqctl', ['delete_user', USER]).catch(() => undefined);
  });

  it('keeps passwords, tokens and secrets out of every log line of a session and its failures', async () => {
    cluster = await Cluster.start({
      servers: ['serverA'],
      env: {
        AMQP_URL,
        // ioredis takes ?password=; Redis without one warns and goes on.
        REDIS_URL: `redis://127.0.0.1:6379/0?password=${REDIS_PASSWORD}`,
        LOG_LEVEL: 'trace',
      },
    });
    const c = cluster;
    const port = c.port('serverA');
    const examineeToken = await c.token('E001', 'examinee');
    const supervisorToken = await c.token('S001', 'supervisor');
    const expiredToken = handToken({ alg: 'HS256' }, { ...validClaims(), exp: 1 }, TEST_SECRET);
    const forgedToken = handToken(
      { alg: 'HS256' },
      validClaims(),
      'not-the-secret-0123456789abcdef',
    );
    const tokens = [examineeToken, supervisorToken, expiredToken, forgedToken];

    // A session: connects, changes, bad frames carrying the token, refused tokens, disconnects.
    const examinee = await TestClient.login(port, examineeToken);
    const supervisor = await TestClient.login(port, supervisorToken);
    await routed(redis, c.namespace, 'E001', 'serverA');
    await routed(redis, c.namespace, 'S001', 'serverA');
    supervisor.change('log-1', { targetExamineeId: 'E001', status: 'STARTED' });
    await supervisor.next((f) => f.type === 'ack' && f.id === 'log-1');
    supervisor.send({ type: 'hello', token: supervisorToken });
    supervisor.send({ type: 'status_change', id: 'log-2', token: supervisorToken, data: {} });
    supervisor.send(`{"token":"${supervisorToken}"`);
    await supervisor.count((f) => f.type === 'error', 3);
    for (const token of [expiredToken, forgedToken]) {
      const refused = await TestClient.connect(port);
      refused.send({ type: 'hello', token });
      expect(await refused.closed).to.equal(4401);
    }
    examinee.close();
    supervisor.close();
    await routed(redis, c.namespace, 'E001', undefined);

    // Failures that log: the broker refuses a wrong password; Redis refuses unknown credentials.
    const wrongBroker = startRole(
      'sm-wrong-amqp',
      ['state-manager'],
      c.env({ AMQP_URL: `amqp://${USER}:${WRONG_PASSWORD}@127.0.0.1:5672` }),
    );
    extra.push(wrongBroker);
    expect(await wrongBroker.wait()).to.equal(1);
    const declare = await runCommand(
      ['topology', 'declare'],
      c.env({ AMQP_URL: `amqp://${USER}:${WRONG_PASSWORD}@127.0.0.1:5672` }),
    );
    expect(declare.code).to.equal(1);
    const wrongRedis = startRole(
      'sm-wrong-redis',
      ['state-manager'],
      c.env({ REDIS_URL: `redis://nobody-${tag}:${WRONG_PASSWORD}@127.0.0.1:6379` }),
    );
    extra.push(wrongRedis);
    await wrongRedis.waitForLog((l) => l.msg === 'redis error');
    // Wrong credentials are final, as the broker's 403 is: the process exits 1.
    expect(await wrongRedis.wait()).to.equal(1);
    expect(wrongRedis.stderr.join('')).to.match(/Redis refused the credentials in REDIS_URL/);

    await Promise.all([...c.servers.values()].map((s) => s.process.stop()));
    await Promise.all(c.stateManagers.map((s) => s.stop()));

    const logs = [
      ...[...c.servers.values()].map((s) => output(s.process)),
      ...c.stateManagers.map(output),
      output(wrongBroker),
      output(wrongRedis),
      declare.stdout,
      declare.stderr,
    ].join('\n');
    for (const secret of [
      PASSWORD,
      WRONG_PASSWORD,
      REDIS_PASSWORD,
      TEST_SECRET,
      TEST_ADMIN_TOKEN,
    ]) {
      expect(logs.includes(secret), `a secret (${secret.slice(0, 6)}…) reached the logs`).to.equal(
        false,
      );
    }
    tokens.forEach((token, i) => {
      expect(logs.includes(token), `token ${i} reached the logs`).to.equal(false);
      expect(
        logs.includes(token.split('.')[2] ?? '-'),
        `signature of token ${i} reached the logs`,
      ).to.equal(false);
    });
    // The test is only worth something if the URLs, errors and session were logged at all.
    expect(logs).to.include(`amqp://${USER}:***@127.0.0.1:5672`);
    expect(logs).to.include('password=***');
    expect(logs).to.match(/ACCESS.REFUSED/);
    expect(logs).to.include('WRONGPASS');
    expect(logs).to.include('log-1');
  });
});
