#!/usr/bin/env node
// Makes sure RabbitMQ (AMQP_URL) and Redis (REDIS_URL) answer before `npm test`, `npm start` and
// `npm run bench`, and starts them when they are local and down. Node built-ins only: it runs
// before `npm ci` in CI.
//
// "Answers" means a protocol handshake, not a TCP connect: a RabbitMQ node whose app is stopped
// (`rabbitmqctl stop_app`) or still booting, or a Redis still loading its data set, can hold a
// port without being usable.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WAIT_MS = 60_000;
const POLL_MS = 500;
const PROBE_TIMEOUT_MS = 3_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

const HOW_TO_GET = [
  'To get RabbitMQ and Redis, either:',
  '  Debian/Ubuntu: apt-get install rabbitmq-server redis-server   (then run `npm run services`)',
  '  Docker:        docker compose up -d rabbitmq redis',
  'or point AMQP_URL / REDIS_URL at running ones.',
].join('\n');

const SERVICES = [
  {
    name: 'rabbitmq',
    // AMQP_URL may list the nodes of a cluster: the first one stands for it here.
    url: (process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672').split(',')[0].trim(),
    defaultPorts: { 'amqp:': 5672, 'amqps:': 5671 },
    probe: probeAmqp,
    startLocal: startRabbitmq,
  },
  {
    name: 'redis',
    url: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    defaultPorts: { 'redis:': 6379, 'rediss:': 6379 },
    probe: probeRedis,
    startLocal: startRedis,
  },
];

main().catch((err) => {
  console.error(`ensure-services: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

async function main() {
  const t0 = Date.now();
  const targets = SERVICES.map((service) => ({ ...service, ...target(service) }));
  const first = await Promise.all(targets.map((t) => t.probe(t)));

  // What to do about each one: nothing (up), fail now, or wait after an action.
  const plans = targets.map((t, i) => {
    const probe = first[i];
    if (probe.up) return { up: true };
    if (probe.busy) return { action: `waiting (${probe.detail})` };
    if (probe.answered) return { fail: `${probe.detail}; not starting another: the port is taken` };
    if (!LOCAL_HOSTS.has(t.host)) return { fail: `${probe.detail}; not a local host, not started` };
    return t.startLocal(t) ?? { docker: true, detail: probe.detail };
  });
  const viaDocker = targets.filter((_, i) => plans[i].docker).map((t) => t.name);
  if (viaDocker.length > 0) {
    const docker = startWithDocker(viaDocker);
    plans.forEach((plan, i) => {
      if (plan.docker)
        plans[i] = docker ?? { fail: `${plan.detail}; no local binary, no Docker engine` };
    });
  }

  const lines = await Promise.all(
    targets.map(async (t, i) => {
      const plan = plans[i];
      const where = hostPort(t);
      if (plan.up) return { up: true, text: `${t.name}: up (${where})` };
      if (plan.fail) return { up: false, text: `${t.name}: down (${where}): ${plan.fail}` };
      const probe = await waitUntilUp(t);
      const secs = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
      if (probe.up)
        return { up: true, text: `${t.name}: up (${where}) after ${plan.action}, ${secs}` };
      const log = plan.log ? `; see ${plan.log}` : '';
      const why = `${plan.action}, then ${probe.detail} for ${secs}${log}`;
      return { up: false, text: `${t.name}: down (${where}): ${why}` };
    }),
  );

  for (const line of lines) (line.up ? console.log : console.error)(line.text);
  if (lines.some((line) => !line.up)) {
    console.error(HOW_TO_GET);
    process.exit(1);
  }
  enableManagement(targets.find((t) => t.name === 'rabbitmq'));
}

/**
 * Best effort: on a local broker, enable the management plugin (the compose image has it) so
 * `topology verify` can compare bindings and the admin can show message rates. Both work
 * without it, with less detail.
 */
function enableManagement(t) {
  if (!t || !LOCAL_HOSTS.has(t.host) || !onPath('rabbitmq-plugins')) return;
  if (run('rabbitmq-plugins', ['is_enabled', 'rabbitmq_management']).code === 0) return;
  const r = run('rabbitmq-plugins', ['enable', 'rabbitmq_management'], 60_000);
  console.log(
    r.code === 0
      ? 'rabbitmq: management plugin enabled'
      : 'rabbitmq: management plugin not enabled (optional)',
  );
}

/** Host, port and TLS flag of a service URL. */
function target({ name, url, defaultPorts }) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${name}: invalid URL ${JSON.stringify(url)}`);
  }
  if (!(parsed.protocol in defaultPorts)) {
    throw new Error(`${name}: unsupported scheme ${parsed.protocol} in ${url}`);
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: Number(parsed.port) || defaultPorts[parsed.protocol],
    secure: parsed.protocol === 'amqps:' || parsed.protocol === 'rediss:',
  };
}

function hostPort({ host, port }) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Connects, writes `hello`, and passes what comes back to `judge` until it decides:
 * `{ up: true }`, `{ up: false, detail }`, or undefined for "need more bytes".
 */
function handshake({ host, port, secure }, hello, judge) {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let done = false;
    const socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    const finish = (result) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(result);
    };
    let connected = false;
    socket.setTimeout(PROBE_TIMEOUT_MS, () =>
      finish(
        connected
          ? {
              up: false,
              answered: true,
              detail: `connected, but no reply in ${PROBE_TIMEOUT_MS} ms`,
            }
          : { up: false, detail: 'connect timeout' },
      ),
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      socket.write(hello);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const verdict = judge(received);
      if (verdict) finish(verdict);
    });
    socket.on('error', (err) => finish({ up: false, detail: err.code ?? err.message }));
    socket.on('close', () => finish({ up: false, detail: 'connection closed without a reply' }));
  });
}

/** AMQP 0-9-1: the protocol header must be answered by a Connection.Start method frame. */
function probeAmqp(t) {
  return handshake(t, Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'), (buf) => {
    if (buf.subarray(0, 4).toString('latin1') === 'AMQP') {
      return { up: false, answered: true, detail: 'the peer refused AMQP 0-9-1' };
    }
    if (buf[0] !== 1) return { up: false, answered: true, detail: 'the peer is not AMQP' };
    if (buf.length < 11) return undefined;
    // Frame header (type, channel, size) is 7 bytes; Connection.Start is class 10, method 10.
    if (buf.readUInt16BE(7) === 10 && buf.readUInt16BE(9) === 10) return { up: true };
    return { up: false, answered: true, detail: 'first frame is not Connection.Start' };
  });
}

/** Redis: PING gets +PONG, or -NOAUTH when a password is set (the server answers either way). */
function probeRedis(t) {
  return handshake(t, 'PING\r\n', (buf) => {
    const end = buf.indexOf('\r\n');
    if (end < 0) {
      return buf.length > 512
        ? { up: false, answered: true, detail: 'the peer is not Redis' }
        : undefined;
    }
    const line = buf.subarray(0, end).toString();
    if (line === '+PONG' || line.startsWith('-NOAUTH')) return { up: true };
    // -LOADING: up but still reading its data set; worth waiting for.
    const busy = line.startsWith('-LOADING');
    return {
      up: false,
      answered: true,
      busy,
      detail: `replied ${JSON.stringify(line.slice(0, 80))}`,
    };
  });
}

async function waitUntilUp(t) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const result = await t.probe(t);
    if (result.up || Date.now() >= deadline) return result;
    await sleep(POLL_MS);
  }
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Runs a short command and returns its exit code and combined output. */
function run(command, args, timeout = 30_000) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout });
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ?? ''}` };
}

/**
 * Runs a command that forks a daemon and exits. Its stdio goes to a log file, never to our pipes:
 * a daemon holding our stdout would keep `npm test | …` or CI waiting for EOF.
 */
function startDaemon(action, command, args, log) {
  const fd = openSync(log, 'a');
  try {
    const r = spawnSync(command, args, { stdio: ['ignore', fd, fd], timeout: 60_000 });
    return r.status === 0 ? { action, log } : { fail: `${action} exited ${r.status}; see ${log}` };
  } finally {
    closeSync(fd);
  }
}

function startRedis(t) {
  if (!onPath('redis-server')) return undefined;
  const log = path.join(tmpdir(), `exam-relay-redis-${t.port}.log`);
  // Ephemeral like the machine's own: nothing on disk. `-::1` binds IPv6 loopback if there is one.
  const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', String(t.port)];
  args.push('--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--logfile', log);
  return startDaemon('redis-server --daemonize', 'redis-server', args, log);
}

function startRabbitmq() {
  if (onPath('rabbitmqctl')) {
    // `rabbitmqctl stop_app` leaves the Erlang node running with the AMQP port closed; starting a
    // second node would fail ("node with name rabbit already running"), so restart the app.
    // RabbitMQ 3.10+ answers `status` on such a node with an error that names start_app.
    const status = run('rabbitmqctl', ['status']);
    if (status.code !== 0 && /start_app|app(lication)? (is )?not running/i.test(status.output)) {
      const r = run('rabbitmqctl', ['start_app'], 120_000);
      const why = r.output.trim().split('\n').at(-1);
      return r.code === 0 ? { action: 'rabbitmqctl start_app' } : { fail: `start_app: ${why}` };
    }
    // Node and app are there (still booting, or the listener is slow): just wait.
    if (status.code === 0) return { action: 'waiting for the running node' };
  }
  if (!onPath('rabbitmq-server')) return undefined;
  const log = path.join(tmpdir(), 'exam-relay-rabbitmq-start.log');
  return startDaemon('rabbitmq-server -detached', 'rabbitmq-server', ['-detached'], log);
}

/** `docker compose up -d` for the named services, if a Docker engine answers. */
function startWithDocker(names) {
  if (!onPath('docker') || run('docker', ['info'], 20_000).code !== 0) return undefined;
  const compose = run('docker', ['compose', 'version']).code === 0 ? ['docker', 'compose'] : null;
  const [cmd, ...pre] = compose ?? (onPath('docker-compose') ? ['docker-compose'] : []);
  if (!cmd) return undefined;
  // compose.yaml requires AUTH_SECRET and ADMIN_TOKEN for the app services, and Compose
  // interpolates the whole file even when only rabbitmq and redis are started: placeholders
  // satisfy it and reach no container.
  const env = { AUTH_SECRET: 'unused', ADMIN_TOKEN: 'unused', ...process.env };
  const r = spawnSync(cmd, [...pre, 'up', '-d', ...names], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 300_000,
  });
  const action = `${cmd === 'docker' ? 'docker compose' : cmd} up -d`;
  return r.status === 0 ? { action } : { fail: `${action} exited ${r.status}` };
}
