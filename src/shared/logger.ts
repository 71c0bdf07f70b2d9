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

/** The URL with its password replaced, for logs: `amqp://guest:***@host:5672`. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
