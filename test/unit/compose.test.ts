// compose.yaml against the command line and environment of SPEC §3. Needs nothing running; the
// last check uses a Compose CLI (`docker compose` or `docker-compose`) when one is installed, and
// `config` works without a Docker engine.
import { Env } from '../../src/shared/config.js';
import { parseCommand, type Command } from '../../src/cli.js';
import { parseAmqpUrls } from '../../src/shared/amqp/urls.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';

interface Service {
  build?: unknown;
  image?: string;
  command?: string | string[];
  ports?: (string | number | { target?: number; published?: number | string })[];
  environment?: Record<string, string> | string[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  hostname?: string;
  profiles?: string[];
  configs?: { source: string; target: string }[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  volumes?: string[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8');
const COMPOSE = parse(SOURCE, { merge: true }) as {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string }>;
};
const services = COMPOSE.services;

/** The variables exam-relay reads: SPEC §3's and the tunables, all in one schema. */
const SPEC_ENV = Object.keys(Env.shape);

/** Services that run the exam-relay image (they build it). */
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const ONE_SHOT = 'topology';

/** The subcommands a compose service may run (SPEC §3); `token` and `dev` are for people. */
const SERVICE_COMMANDS = ['topology', 'server', 'state-manager', 'admin'];

/** A service's command as `exam-relay` itself parses it (the image's entrypoint is exam-relay). */
function commandOf(service: Service | undefined): Command {
  const command = service?.command;
  const argv = typeof command === 'string' ? command.trim().split(/\s+/) : [...(command ?? [])];
  const parsed = parseCommand(argv);
  if (!SERVICE_COMMANDS.includes(parsed.command)) {
    throw new Error(`${parsed.command} is not a service command`);
  }
  return parsed;
}

/** `[published, target]` of each port entry. */
function publishedPorts(service: Service): [number, number][] {
  return (service.ports ?? []).map((entry) => {
    if (typeof entry === 'object') return [Number(entry.published), Number(entry.target)];
    const parts = String(entry)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    return [parts.length > 1 ? Number(parts.at(-2)) : target, target];
  });
}

function envNames(service: Service): string[] {
  const env = service.environment ?? {};
  return Array.isArray(env) ? env.map((e) => e.split('=')[0] as string) : Object.keys(env);
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

/** `docker compose` or `docker-compose`, whichever answers `version`; undefined if neither. */
function composeCli(): string[] | undefined {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    const [cmd, ...pre] = cli as [string, ...string[]];
    const r = spawnSync(cmd, [...pre, 'version'], { encoding: 'utf8', timeout: 15_000 });
    if (r.status === 0) return cli;
  }
  return undefined;
}

describe('compose.yaml', () => {
  it('declares the brokers, the topology and every role of the seed', () => {
    expect(services).to.include.keys(
      'rabbitmq',
      'redis',
      'topology',
      'state-manager',
      'serverA',
      'serverB',
      'admin',
    );
    expect(appServices.map(([name]) => name)).to.have.members([
      'topology',
      'state-manager',
      'serverA',
      'serverB',
      'admin',
    ]);
  });

  it('runs only exam-relay subcommands of SPEC §3', () => {
    for (const [name, service] of appServices) {
      expect(() => commandOf(service), name).not.to.throw();
    }
    expect(commandOf(services.topology)).to.deep.equal({ command: 'topology', action: 'declare' });
    expect(commandOf(services['state-manager'])).to.deep.equal({ command: 'state-manager' });
    expect(commandOf(services.serverA)).to.deep.equal({
      command: 'server',
      serverId: 'serverA',
      port: 8081,
    });
    expect(commandOf(services.serverB)).to.deep.equal({
      command: 'server',
      serverId: 'serverB',
      port: 8082,
    });
    expect(commandOf(services.admin)).to.deep.equal({ command: 'admin', port: 8080 });
  });

  it('publishes each --port N as host port N', () => {
    for (const [name, service] of appServices) {
      const command = commandOf(service);
      if (!('port' in command)) continue;
      expect(publishedPorts(service), name).to.deep.include([command.port, command.port]);
    }
  });

  it('starts app services only once rabbitmq and redis are healthy and the topology is declared', () => {
    expect(dependsOn(services.topology as Service)).to.include({ rabbitmq: 'service_healthy' });
    for (const [name, service] of appServices) {
      if (name === ONE_SHOT) continue;
      expect(dependsOn(service), name).to.include({
        rabbitmq: 'service_healthy',
        redis: 'service_healthy',
        topology: 'service_completed_successfully',
      });
    }
  });

  it('health-checks every long-running service and runs the topology once', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === ONE_SHOT) {
        expect(service.restart ?? 'no', name).to.equal('no');
        continue;
      }
      expect(service.healthcheck?.disable, name).not.to.equal(true);
      expect(service.healthcheck?.test, name).to.have.length.above(0);
      if (service.build !== undefined) expect(service.restart, name).to.equal('unless-stopped');
    }
  });

  it('health-checks each server on GET /healthz of its own port', () => {
    for (const [name, service] of appServices) {
      const command = commandOf(service);
      if (command.command !== 'server') continue;
      const test = [service.healthcheck?.test ?? []].flat().join(' ');
      expect(test, name).to.include(`http://127.0.0.1:${command.port}/healthz`);
    }
  });

  it('uses only environment variables exam-relay reads', () => {
    for (const [name, service] of appServices) {
      expect(envNames(service), name).to.satisfy((names: string[]) =>
        names.every((n) => SPEC_ENV.includes(n)),
      );
    }
    const interpolated = [...SOURCE.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    expect(interpolated.filter((n) => !SPEC_ENV.includes(n as string))).to.deep.equal([]);
  });

  it('points app services at the rabbitmq and redis services and requires their secrets', () => {
    for (const [name, service] of appServices) {
      const env = service.environment as Record<string, string>;
      // One node by default; the cluster profile's node list when AMQP_URL is given.
      expect(env.AMQP_URL, name).to.equal('${AMQP_URL:-amqp://guest:guest@rabbitmq:5672}');
      expect(env.REDIS_URL, name).to.equal('redis://redis:6379');
      const role = commandOf(service).command;
      if (role === 'server') expect(env.AUTH_SECRET, name).to.match(/^\$\{AUTH_SECRET:\?.+\}$/);
      if (role === 'admin') expect(env.ADMIN_TOKEN, name).to.match(/^\$\{ADMIN_TOKEN:\?.+\}$/);
    }
  });

  it('clusters rabbitmq2 and rabbitmq3 with rabbitmq under the cluster profile', () => {
    const nodes = ['rabbitmq', 'rabbitmq2', 'rabbitmq3'].map(
      (n) => [n, services[n] as Service] as const,
    );
    const cookie = (s: Service) => (s.environment as Record<string, string>).RABBITMQ_ERLANG_COOKIE;
    for (const [name, node] of nodes) {
      expect(node.hostname, name).to.equal(name);
      expect(cookie(node), name)
        .to.be.a('string')
        .and.equal(cookie(services.rabbitmq as Service));
      if (name === 'rabbitmq') {
        expect(node.profiles, name).to.equal(undefined);
        continue;
      }
      expect(node.profiles, name).to.deep.equal(['cluster']);
      expect(node.image, name).to.equal(services.rabbitmq?.image);
      expect(dependsOn(node), name).to.include({ rabbitmq: 'service_healthy' });
      expect(node.volumes?.join(' '), name).to.include(`${name}-data:/var/lib/rabbitmq`);
      const config = node.configs?.find((c) => c.target.startsWith('/etc/rabbitmq/conf.d/'));
      const content = COMPOSE.configs?.[config?.source ?? '']?.content ?? '';
      expect(content, name).to.match(/peer_discovery_backend\s*=\s*classic_config/);
      for (const peer of nodes.map(([n]) => n)) {
        expect(content, name).to.match(
          new RegExp(`classic_config\\.nodes\\.\\d+\\s*=\\s*rabbit@${peer}$`, 'm'),
        );
      }
    }
    // The topology waits for every node of the profile, so quorum queues get 3 members.
    const deps = (services.topology as Service).depends_on as Record<
      string,
      { condition?: string; required?: boolean }
    >;
    for (const node of ['rabbitmq2', 'rabbitmq3']) {
      expect(deps[node], node).to.deep.equal({ condition: 'service_healthy', required: false });
    }
  });

  it('documents an AMQP_URL for the cluster profile that exam-relay accepts', () => {
    const documented = /AMQP_URL=(\S+)/.exec(SOURCE)?.[1] ?? '';
    const parsed = parseAmqpUrls(documented);
    expect(parsed.ok, documented).to.equal(true);
    const hosts = parsed.ok ? parsed.urls.map((u) => new URL(u).hostname) : [];
    expect(hosts).to.deep.equal(['rabbitmq', 'rabbitmq2', 'rabbitmq3']);
  });

  it('persists redis, the store of record, to a volume with appendonly', () => {
    const redis = services.redis as Service;
    expect([redis.command ?? []].flat().join(' ')).to.match(/--appendonly\s+yes/);
    expect(redis.volumes ?? []).to.satisfy((v: string[]) => v.some((m) => m.endsWith(':/data')));
  });

  it('passes `docker compose config -q`', function () {
    this.timeout(60_000);
    const cli = composeCli();
    if (!cli) this.skip();
    const [cmd, ...pre] = cli as [string, ...string[]];
    const r = spawnSync(cmd, [...pre, 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 50_000,
      // The file requires the secrets; any value will do for checking it.
      env: { ...process.env, AUTH_SECRET: 'x'.repeat(32), ADMIN_TOKEN: 'x'.repeat(16) },
    });
    expect(r.status, `${cli.join(' ')} config -q: ${r.stderr}${r.error ?? ''}`).to.equal(0);
  });
});
