import { pino, type Logger, type DestinationStream } from 'pino';

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
}

/** A pino JSON logger with secrets redacted; `destination` defaults to stdout. */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ sync: false }),
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
