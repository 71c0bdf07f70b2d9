import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadEnv, managementUrlOf, type Config } from './shared/config.js';
import { ConfigError, RelayError } from './shared/errors.js';
import { createLogger, logFormatFor, type Logger } from './shared/logger.js';
import { installShutdown, type Supervised } from './shared/lifecycle.js';
import { ServerId, parseTtl, Role, signToken } from './protocol/index.js';
import { runTopologyCommand, type TopologySubcommand } from './topology/index.js';
import { runServer } from './server/main.js';
import { runStateManager } from './state-manager/main.js';
import { runAdmin } from './admin/main.js';

const USAGE = `usage: exam-relay <command>

  topology declare|verify|export [--file F]
  server --id serverA --port 8081
  state-manager
  admin --port 8080
  token --sub E001 --role examinee --exam EXAM1 [--ttl 2h]
  dev [--admin-port 8080] [--server-a-port 8081] [--server-b-port 8082]

Configuration is by environment: see README.md.`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** The `exam-relay` command: parses arguments and runs one role. */
export function main(argv: string[]): void {
  run(argv).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof RelayError) err(`exam-relay: ${error.message}`);
      else
        err(
          `exam-relay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      process.exit(1);
    },
  );
}

/** One `exam-relay` invocation, as `parseCommand` reads it from the arguments. */
export type Command =
  | { command: 'help'; exitCode: 0 | 1 }
  | { command: 'topology'; action: TopologySubcommand; file?: string }
  | { command: 'server'; serverId: string; port: number }
  | { command: 'state-manager' }
  | { command: 'admin'; port: number }
  | { command: 'token'; sub: string; role: Role; exam: string; ttlSeconds: number }
  | { command: 'dev'; ports: DevPorts };

interface DevPorts {
  admin: number;
  serverA: number;
  serverB: number;
}

/**
 * The command line (without `exam-relay` itself) as a `Command`. Pure: it reads no environment
 * and opens nothing. Throws ConfigError, with the usage, for arguments it does not take.
 */
export function parseCommand(argv: string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { command: 'help', exitCode: command === undefined ? 1 : 0 };
  }
  switch (command) {
    case 'topology': {
      const [action, ...args] = rest;
      if (action !== 'declare' && action !== 'verify' && action !== 'export')
        throw usage('topology declare|verify|export');
      const { values } = parse(args, { file: { type: 'string' } });
      return { command, action, ...(values.file !== undefined ? { file: values.file } : {}) };
    }
    case 'server': {
      const { values } = parse(rest, { id: { type: 'string' }, port: { type: 'string' } });
      const serverId = ServerId.safeParse(values.id);
      if (!serverId.success)
        throw usage('server --id <serverId> --port <port> (id: A-Z a-z 0-9 _ -)');
      return { command, serverId: serverId.data, port: portOf(values.port) };
    }
    case 'state-manager':
      parse(rest, {});
      return { command };
    case 'admin': {
      const { values } = parse(rest, { port: { type: 'string' } });
      return { command, port: portOf(values.port ?? '8080') };
    }
    case 'token': {
      const { values } = parse(rest, {
        sub: { type: 'string' },
        role: { type: 'string' },
        exam: { type: 'string' },
        ttl: { type: 'string' },
      });
      const role = Role.safeParse(values.role);
      const ttlSeconds = parseTtl(values.ttl ?? '2h');
      if (!values.sub || !values.exam || !role.success) {
        throw usage('token --sub <clientId> --role supervisor|examinee --exam <examId> [--ttl 2h]');
      }
      if (ttlSeconds === undefined)
        throw new ConfigError('--ttl must look like 90s, 30m, 2h or 7d');
      return { command, sub: values.sub, role: role.data, exam: values.exam, ttlSeconds };
    }
    case 'dev': {
      const { values } = parse(rest, {
        'admin-port': { type: 'string' },
        'server-a-port': { type: 'string' },
        'server-b-port': { type: 'string' },
      });
      return {
        command,
        ports: {
          admin: portOf(values['admin-port'] ?? '8080'),
          serverA: portOf(values['server-a-port'] ?? '8081'),
          serverB: portOf(values['server-b-port'] ?? '8082'),
        },
      };
    }
    default:
      throw usage(`unknown command "${command}"`);
  }
}

/** Returns an exit code for commands that finish; undefined for long-running roles. */
async function run(argv: string[]): Promise<number | undefined> {
  const cmd = parseCommand(argv);
  switch (cmd.command) {
    case 'help':
      out(USAGE);
      return cmd.exitCode;
    case 'topology': {
      const config = env();
      return runTopologyCommand(cmd.action, {
        file: cmd.file ?? config.TOPOLOGY_FILE,
        namespace: config.RELAY_NAMESPACE,
        amqpUrls: config.AMQP_URL,
        managementUrl: managementUrlOf(config),
        logger: logger(config, 'topology'),
        out,
        err,
      });
    }
    case 'server': {
      const config = env();
      const log = logger(config, 'server');
      supervise(await runServer(config, log, { serverId: cmd.serverId, port: cmd.port }), log);
      return undefined;
    }
    case 'state-manager': {
      const config = env();
      const log = logger(config, 'state-manager');
      supervise(await runStateManager(config, log), log);
      return undefined;
    }
    case 'admin': {
      const config = env();
      const log = logger(config, 'admin');
      supervise(await runAdmin(config, log, { port: cmd.port }), log);
      return undefined;
    }
    case 'token': {
      const config = env();
      if (!config.AUTH_SECRET) throw new ConfigError('AUTH_SECRET is required to sign tokens');
      out(
        await signToken(
          config.AUTH_SECRET,
          { clientId: cmd.sub, role: cmd.role, examId: cmd.exam },
          cmd.ttlSeconds,
        ),
      );
      return 0;
    }
    case 'dev':
      await runDev(cmd.ports);
      return undefined;
  }
}

/**
 * The whole cluster in one process for local use: declares the topology, starts a state
 * manager, serverA:8081, serverB:8082 and admin:8080 (with the try-it pages, which only dev
 * serves), and prints the try-it URL and demo tokens.
 */
async function runDev(ports: DevPorts): Promise<void> {
  const generated: Record<string, string> = {};
  const raw = { ...process.env };
  if (!raw.AUTH_SECRET) raw.AUTH_SECRET = generated.AUTH_SECRET = randomBytes(32).toString('hex');
  if (!raw.ADMIN_TOKEN) raw.ADMIN_TOKEN = generated.ADMIN_TOKEN = randomBytes(16).toString('hex');
  const config = loadEnv(raw);
  const log = logger(config, 'dev');
  const declared = await runTopologyCommand('declare', {
    file: config.TOPOLOGY_FILE,
    namespace: config.RELAY_NAMESPACE,
    amqpUrls: config.AMQP_URL,
    logger: log,
    out: () => undefined,
    err,
  });
  if (declared !== 0) throw new ConfigError('topology declare failed; see above');
  const secret = config.AUTH_SECRET as string;
  const servers = [
    { id: 'serverA', port: ports.serverA, url: `ws://127.0.0.1:${ports.serverA}/ws` },
    { id: 'serverB', port: ports.serverB, url: `ws://127.0.0.1:${ports.serverB}/ws` },
  ];
  const roles: Supervised[] = [];
  roles.push(await runStateManager(config, log.child({ role: 'state-manager' })));
  for (const { id, port } of servers) {
    roles.push(await runServer(config, log.child({ role: 'server' }), { serverId: id, port }));
  }
  roles.push(
    await runAdmin(config, log.child({ role: 'admin' }), {
      port: ports.admin,
      tryIt: { authSecret: secret, servers },
    }),
  );
  supervise(
    {
      close: async () => void (await Promise.allSettled(roles.reverse().map((r) => r.close()))),
      // One fatal role stops them all: dev is one process.
      onFatal: (listener) => {
        let told = false;
        for (const role of roles) {
          role.onFatal?.((err) => {
            if (!told) listener(err);
            told = true;
          });
        }
      },
    },
    log,
  );

  const token = (clientId: string, role: Role) =>
    signToken(secret, { clientId, role, examId: 'EXAM1' }, 8 * 3600);
  const lines = [
    '',
    `Try it: open http://127.0.0.1:${ports.admin}/try/  (user admin, password = ADMIN_TOKEN)`,
    '',
    'exam-relay dev cluster is up:',
    ...servers.map((s) => `  ${s.id}  ${s.url}`),
    `  admin    http://127.0.0.1:${ports.admin}  (user admin, password = ADMIN_TOKEN)`,
    '',
    ...Object.entries(generated).map(([k, v]) => `  ${k}=${v}   (generated for this run)`),
    '',
    'Demo tokens (exam EXAM1, valid 8 h):',
    `  S001 supervisor  ${await token('S001', 'supervisor')}`,
    `  E001 examinee    ${await token('E001', 'examinee')}`,
    `  E002 examinee    ${await token('E002', 'examinee')}`,
    `  E003 examinee    ${await token('E003', 'examinee')}`,
    '',
    'Seed scenario: E001 connects to serverA, E002 and S001 to serverB, then S001 sends',
    '  {"type":"status_change","id":"m-1","data":{"examId":"EXAM1","status":"STARTED"}}',
    '',
  ];
  err(lines.join('\n'));
}

function supervise(target: Supervised, log: Logger): void {
  installShutdown(target, log);
}

function env(): Config {
  return loadEnv(process.env);
}

function logger(config: Config, service: string): Logger {
  return createLogger({
    level: config.LOG_LEVEL,
    service,
    format: logFormatFor(config.LOG_FORMAT, process.stdout.isTTY === true),
  });
}

function parse<T extends Record<string, { type: 'string' }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

function portOf(value: string | undefined): number {
  const port = Number(value);
  if (!value || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`--port must be a port number 0-65535, got "${value ?? ''}"`);
  }
  return port;
}

function usage(detail: string): ConfigError {
  return new ConfigError(`${detail}\n\n${USAGE}`);
}
