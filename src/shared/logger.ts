import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line: tokens, secrets, passwords. */
const REDACT = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers.cookie',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'AUTH_SECRET',
  '*.AUTH_SECRET',
  'ADMIN_TOKEN',
  '*.ADMIN_TOKEN',
];

export interface LoggerOptions {
  /** pino level. Default `info`. */
  level?: string;
  /** Written as `service` on every line. */
  service: string;
  /** `json` lines, or `pretty` (pino-pretty, colored) for a person at a terminal. Default `json`. */
  format?: LogFormat;
}

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT if set, else pretty when stdout is a terminal and JSON when it is a pipe or file. */
export function logFormatFor(configured: LogFormat | undefined, stdoutIsTty: boolean): LogFormat {
  return configured ?? (stdoutIsTty ? 'pretty' : 'json');
}

/** pino-pretty as a stream in this process (no worker thread), one line per record on stdout. */
function prettyStdout(): DestinationStream {
  return pretty({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
}

/**
 * A pino logger with secrets redacted; `destination` defaults to stdout, as JSON lines or
 * pino-pretty lines (`format`). Redaction happens before formatting, so both are safe.
 */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ??
      (options.format === 'pretty' ? prettyStdout() : pino.destination({ sync: false })),
  );
}

/** Query parameters that carry credentials (ioredis, for one, takes `?password=`). */
const SECRET_PARAM = /pass|pwd|secret|token|auth|credential|key/i;

/**
 * The URL with its password replaced, for logs: `amqp://guest:***@host:5672`. Query
 * parameters named like a credential (`?password=`, `?token=`) are masked too.
 */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of new Set(parsed.searchParams.keys())) {
      if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
