import { z } from 'zod';
import { ConfigError } from './errors.js';
import { managementUrlFor, parseAmqpUrls } from './amqp/urls.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every environment variable exam-relay reads, parsed once by `loadEnv(process.env)`.
 * Roles receive the parsed `Config`; nothing else reads `process.env`.
 */
export const Env = z.object({
  /**
   * RabbitMQ URL, or the nodes of one cluster comma-separated (one scheme, one vhost): a
   * process starts at a random node and moves to the next when its node fails. Parsed to the
   * list. Default `amqp://guest:guest@127.0.0.1:5672`.
   */
  AMQP_URL: z
    .string()
    .default('amqp://guest:guest@127.0.0.1:5672')
    .transform((value, ctx) => {
      const parsed = parseAmqpUrls(value);
      if (parsed.ok) return parsed.urls;
      for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }),
  /**
   * Redis URL. Default `redis://127.0.0.1:6379`. With `REDIS_SENTINELS` only its credentials,
   * database and `rediss:` (TLS) are used; Sentinel names the primary.
   */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /**
   * Comma-separated Sentinel `host:port` list; with `REDIS_SENTINEL_NAME`, every process finds
   * the Redis primary through Sentinel and follows a failover. Default unset: `REDIS_URL`.
   */
  REDIS_SENTINELS: z
    .string()
    .transform((s, ctx) => {
      const items = s.split(',').map((item) => item.trim());
      const sentinels: { host: string; port: number }[] = [];
      items.forEach((item, i) => {
        const address = parseHostPort(item);
        if (address) sentinels.push(address);
        else
          ctx.addIssue({
            code: 'custom',
            message: item
              ? `item ${i + 1} is not host:port`
              : `item ${i + 1} is empty (a stray comma?)`,
          });
      });
      return sentinels;
    })
    .optional(),
  /** The master group name the Sentinels monitor. Required with `REDIS_SENTINELS`. */
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ., _ and - only, at most 64')
    .optional(),
  /**
   * Replicas that must hold the state manager's writes (Redis `WAIT`, once per batch) before
   * it routes and acks them. Default 0 (no wait; the seq epoch covers a lossy failover).
   */
  REDIS_WAIT_REPLICAS: int(0, 16).default(0),
  /**
   * How long one `WAIT` may block, in ms; fewer replicas by then is a transient failure (the
   * batch is applied again and waited for again). Below the 5 s command timeout. Default 1000.
   */
  REDIS_WAIT_TIMEOUT_MS: int(1, 4000).default(1000),
  /** Prefix for every queue, exchange (`X.`) and Redis key (`X:`). Default empty. */
  RELAY_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,64}$/, 'letters, digits, _ and - only, at most 64')
    .default(''),
  /** HS256 secret for client tokens; at least 32 bytes. No default: servers refuse to start without it. */
  AUTH_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s) >= 32, 'must be at least 32 bytes')
    .optional(),
  /** Password of the admin UI (user `admin`) and bearer token of its API. No default. */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The topology file. Default `topology/topology.yaml`. */
  TOPOLOGY_FILE: z.string().min(1).default('topology/topology.yaml'),
  /** pino level. Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` or `pretty` (pino-pretty, for a terminal). Default: pretty when stdout is a TTY, else json. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** How often a socket server heartbeats through `status_queue`, in ms. Default 5000. */
  HEARTBEAT_INTERVAL_MS: int(100, 60_000).default(5000),
  /**
   * A server silent longer than this is marked DOWN and its routes removed, in ms. Checked
   * every second, so with the default a silent server is DOWN within 13 s. Default 12000.
   */
  SERVER_DOWN_AFTER_MS: int(500, 600_000).default(12_000),
  /** How long a client's missed frames are kept for replay, in seconds. Default 86400 (24 h). */
  HISTORY_RETENTION_SECONDS: int(1, 30 * 86_400).default(86_400),
  /** At most this many frames are kept per client for replay. Default 1000. */
  HISTORY_MAX_FRAMES: int(1, 100_000).default(1000),
  /**
   * At most this many changes are kept in an exam's stream, which supervisors replay (every
   * change of the exam is one entry). Default 100000.
   */
  EXAM_HISTORY_MAX_FRAMES: int(1, 1_000_000).default(100_000),
  /** Unacked `status_queue` messages one state manager holds at once. Default 64. */
  STATE_MANAGER_PREFETCH: int(1, 10_000).default(64),
  /**
   * A socket server cut off from RabbitMQ this long sends its clients `reconnect` and closes
   * them (1012), so they move to a server that can serve them, in ms. Default 10000.
   */
  BROKER_LOST_CLOSE_MS: int(100, 600_000).default(10_000),
  /** A publish not confirmed by the broker in this many ms fails. Default 10000. */
  CONFIRM_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Largest WebSocket frame accepted, in bytes; larger closes with 1009. Default 65536. */
  MAX_FRAME_BYTES: int(256, 16 * 1024 * 1024).default(65_536),
  /** Connections one socket server accepts; more are refused with 503. Default 10000. */
  MAX_CONNECTIONS: int(1, 1_000_000).default(10_000),
  /** Sockets one client id may hold on one server; the oldest is closed. Default 3. */
  MAX_SOCKETS_PER_CLIENT: int(1, 100).default(3),
  /** Token bucket per connection: sustained frames per second. Default 20. */
  RATE_LIMIT_PER_SECOND: int(1, 100_000).default(20),
  /** Token bucket per connection: burst size. Default 40. */
  RATE_LIMIT_BURST: int(1, 100_000).default(40),
  /** Comma-separated allowed `Origin` values; empty allows any. Default empty. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o.length > 0),
    ),
  /**
   * Port of the state manager's /healthz, /readyz and /metrics. Default unset: no listener
   * (several state managers may share a host).
   */
  METRICS_PORT: int(0, 65_535).optional(),
  /**
   * RabbitMQ management API, used when reachable for binding checks, message rates and where
   * quorum members are. Default: port 15672 of the first `AMQP_URL` node, with its credentials
   * (`http://guest:guest@127.0.0.1:15672` for the default `AMQP_URL`); see `managementUrlOf`.
   */
  RABBITMQ_MANAGEMENT_URL: z.url({ protocol: /^https?$/ }).optional(),
});

export type Config = z.infer<typeof Env>;

/** `host:port` with a port 1-65535 (an IPv6 host in brackets), or undefined. */
function parseHostPort(item: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(item);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** Settings that are only meaningful together: either given alone names the other. */
const PAIRED = [['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']] as const;

const CheckedEnv = Env.superRefine((env, ctx) => {
  for (const [a, b] of PAIRED) {
    const [hasA, hasB] = [env[a] !== undefined, env[b] !== undefined];
    if (hasA === hasB) continue;
    const [given, missing] = hasA ? [a, b] : [b, a];
    ctx.addIssue({ code: 'custom', path: [given], message: `needs ${missing} as well` });
  }
  // An open connection's keys are written again every third of the retention, at a heartbeat
  // (see ServerRegistry): with fewer heartbeats than that they would expire while it is open.
  if (env.HEARTBEAT_INTERVAL_MS * 3 > env.HISTORY_RETENTION_SECONDS * 1000) {
    ctx.addIssue({
      code: 'custom',
      path: ['HISTORY_RETENTION_SECONDS'],
      message: `must be at least 3 heartbeats (HEARTBEAT_INTERVAL_MS ${env.HEARTBEAT_INTERVAL_MS} ms)`,
    });
  }
});

/** Parses the environment; throws `ConfigError` naming each bad variable. */
export function loadEnv(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const result = CheckedEnv.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(`invalid environment:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** RABBITMQ_MANAGEMENT_URL if set, else the management API of the first AMQP_URL node. */
export function managementUrlOf(
  config: Pick<Config, 'AMQP_URL' | 'RABBITMQ_MANAGEMENT_URL'>,
): string {
  return config.RABBITMQ_MANAGEMENT_URL ?? managementUrlFor(config.AMQP_URL);
}

/** The secret, or a ConfigError saying how to provide it. */
export function requireSecret(config: Config, name: 'AUTH_SECRET' | 'ADMIN_TOKEN'): string {
  const value = config[name];
  if (value === undefined) {
    throw new ConfigError(`${name} is required: set it in the environment (see README)`);
  }
  return value;
}
