import type { Logger } from './logger.js';

/** Something that can be stopped once, in order. */
export interface Closable {
  close(): Promise<void>;
}

/** What each role's factory returns (`createSocketServer`, `createStateManager`, `createAdmin`). */
export interface RoleLifecycle extends Closable {
  /** True while it can do its work: its connections up, consuming or listening. */
  ready(): boolean;
  /** Connects its channels, declares what it owns and starts serving. */
  start(): Promise<void>;
  /** Stops in order (idempotent): stop taking work, finish what is in flight, disconnect. */
  close(): Promise<void>;
}

/**
 * Runs `close` once on the first SIGTERM or SIGINT, then exits: 0 when it finished within
 * `timeoutMs`, 1 when it failed or timed out. A second signal exits at once.
 * Only a role's `main.ts` calls this.
 */
export function installShutdown(target: Closable, logger: Logger, timeoutMs = 15_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      logger.flush();
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    target.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Wraps `fn` so that calling it again returns the first call's promise. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}
