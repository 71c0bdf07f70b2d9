// Configuration and files: a bad environment variable, command-line option or topology file
// exits 1 with a message naming it, before connecting anywhere. Needs a built dist/ (npm test
// builds first); needs no broker or Redis: AMQP_URL and REDIS_URL point at local listeners that
// count the connections they get, and the expected count is zero.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT, TEST_SECRET, roleEnv, runCommand } from '../helpers/processes.js';

const PASSWORD = 'PW-config-7f3a9c';

/** A TCP listener that counts (and drops) every connection it gets. */
async function trap(): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((socket) => {
    hits += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, hits: () => hits };
}

describe('security: configuration and files', function () {
  this.timeout(30_000);
  let broker: Awaited<ReturnType<typeof trap>>;
  let redis: Awaited<ReturnType<typeof trap>>;
  let dir: string;
  let real: string;

  const env = (extra: Record<string, string>) =>
    roleEnv({
      namespace: 'tconfig',
      extra: {
        AMQP_URL: `amqp://guest:${PASSWORD}@127.0.0.1:${broker.port}`,
        REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`,
        ...extra,
      },
    });

  /** Every role that reads the environment and the topology file. */
  const roles = [
    ['server', '--id', 'serverA', '--port', '0'],
    ['state-manager'],
    ['topology', 'declare'],
  ];

  async function expectRefused(args: string[], extra: Record<string, string>, names: RegExp) {
    const run = await runCommand(args, env(extra));
    const what = `${args.join(' ')} with ${JSON.stringify(extra)}`;
    expect(run.code, `${what}\n${run.stderr}`).to.equal(1);
    expect(run.stderr, what).to.match(names);
    expect(run.stderr, what).to.not.match(/\n\s+at .+:\d+:\d+\)?\n/); // a message, not a stack
    expect(run.stderr + run.stdout, what).to.not.include(PASSWORD);
  }

  before(async () => {
    broker = await trap();
    redis = await trap();
    dir = await mkdtemp(join(tmpdir(), 'exam-relay-config-'));
    real = await readFile(`${ROOT}topology/topology.yaml`, 'utf8');
  });
  afterEach(() => {
    expect(broker.hits(), 'connections to the broker').to.equal(0);
    expect(redis.hits(), 'connections to Redis').to.equal(0);
  });
  after(async () => {
    broker.server.close();
    redis.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('environment', () => {
    const bad: Record<string, string> = {
      MAX_FRAME_BYTES: 'lots',
      MAX_CONNECTIONS: '-1',
      RATE_LIMIT_BURST: '0',
      RATE_LIMIT_PER_SECOND: '1.5',
      MAX_SOCKETS_PER_CLIENT: '1000',
      HEARTBEAT_INTERVAL_MS: '1',
      LOG_LEVEL: 'verbose',
      RELAY_NAMESPACE: 'has spaces',
      AUTH_SECRET: 'too-short',
      ADMIN_TOKEN: 'short',
    };

    it('exits 1 naming every bad variable, in every role, before connecting', async () => {
      const names = new RegExp(
        Object.keys(bad)
          .map((n) => `(?=[\\s\\S]*at ${n}\\b)`)
          .join(''),
      );
      await Promise.all(roles.map((args) => expectRefused(args, bad, names)));
    });

    it('exits 1 naming a bad URL without printing its password', async () => {
      await expectRefused(
        roles[0] as string[],
        {
          AMQP_URL: `http://guest:${PASSWORD}@127.0.0.1:5672`,
          REDIS_URL: `mysql://root:${PASSWORD}@db`,
          RABBITMQ_MANAGEMENT_URL: `ftp://guest:${PASSWORD}@127.0.0.1`,
        },
        /at AMQP_URL[\s\S]*at REDIS_URL[\s\S]*at RABBITMQ_MANAGEMENT_URL/,
      );
    });

    it('exits 1 naming Sentinel settings half given or with a bad item, in every role', async () => {
      await Promise.all([
        ...roles.map((args) =>
          expectRefused(
            args,
            { REDIS_SENTINELS: '127.0.0.1:26391' },
            /needs REDIS_SENTINEL_NAME as well\s+→ at REDIS_SENTINELS/,
          ),
        ),
        expectRefused(
          roles[0] as string[],
          { REDIS_SENTINEL_NAME: 'exam-relay' },
          /needs REDIS_SENTINELS as well\s+→ at REDIS_SENTINEL_NAME/,
        ),
        expectRefused(
          roles[0] as string[],
          { REDIS_SENTINELS: '127.0.0.1:26391,,127.0.0.1:26393', REDIS_SENTINEL_NAME: 'n' },
          /item 2 is empty.*\s+→ at REDIS_SENTINELS/,
        ),
      ]);
    });

    it('exits 1 naming AUTH_SECRET when it is missing, before connecting', async () => {
      await Promise.all(
        [roles[0], roles[1]].map((args) =>
          expectRefused(args as string[], { AUTH_SECRET: '' }, /AUTH_SECRET is required/),
        ),
      );
    });

    it('exits 1 naming a bad --id or --port, before connecting', async () => {
      await Promise.all([
        expectRefused(['server', '--id', '../etc', '--port', '8081'], {}, /--id/),
        expectRefused(['server', '--id', 'serverA', '--port', '80; rm -rf /'], {}, /--port/),
        expectRefused(['server', '--id', 'serverA', '--port', '1', '--evil', 'x'], {}, /evil/),
      ]);
    });
  });

  describe('topology file', () => {
    const files: [string, () => string, RegExp][] = [
      ['is not YAML', () => 'queues: [\n  : : :', /invalid YAML/],
      [
        'has an unknown field',
        () => real.replace('deliveryLimit: 5', 'deliveryLimit: 5\n    argumnets: {}'),
        /queues\.status_queue\.argumnets: unknown field/,
      ],
      [
        'has a __proto__ key',
        () => `${real}\n__proto__:\n  polluted: true\n`,
        /__proto__: unknown field/,
      ],
      [
        'has a duplicate key',
        () => real.replace('type: quorum', 'type: quorum\n    type: classic'),
        /invalid YAML/,
      ],
      [
        'binds an unknown exchange',
        () => real.replace('exchange: relay.dlx', 'exchange: relay.nope'),
        /relay\.nope/,
      ],
      [
        'has a field of the wrong type',
        () => real.replace('deliveryLimit: 5', 'deliveryLimit: five'),
        /deliveryLimit/,
      ],
      ['is empty', () => '', /\(root\): Invalid input/],
    ];

    it('exits 1 naming the file and the fault, before connecting, for each bad file', async () => {
      await Promise.all(
        files.map(async ([what, content, message], i) => {
          const file = join(dir, `${what.replace(/\W+/g, '-')}.yaml`);
          await writeFile(file, content());
          const path = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          await expectRefused(
            roles[i % roles.length] as string[],
            { TOPOLOGY_FILE: file },
            new RegExp(`${path}[\\s\\S]*${message.source}`),
          );
        }),
      );
    });

    it('exits 1 naming a missing file, before connecting', async () => {
      const file = join(dir, 'missing.yaml');
      for (const args of roles)
        await expectRefused(
          args,
          { TOPOLOGY_FILE: file },
          /cannot read topology file .*missing\.yaml/,
        );
    });

    it('exits 1 naming the file when its aliases expand past the limit (billion laughs)', async () => {
      const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (const [prev, name] of [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
        ['d', 'e'],
        ['e', 'f'],
      ])
        levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
      const file = join(dir, 'laughs.yaml');
      await writeFile(file, `${levels.join('\n')}\n`);
      await expectRefused(
        ['server', '--id', 'serverA', '--port', '0'],
        { TOPOLOGY_FILE: file },
        /laughs\.yaml/,
      );
    });
  });

  it('uses the secret only to check its length, never printing it', async () => {
    const run = await runCommand(
      ['server', '--id', 'serverA', '--port', 'x'],
      env({ AUTH_SECRET: TEST_SECRET }),
    );
    expect(run.code).to.equal(1);
    expect(run.stderr + run.stdout).to.not.include(TEST_SECRET);
  });
});
