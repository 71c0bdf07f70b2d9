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

/** A running role: closable, and told of errors it cannot recover from. */
export interface Supervised extends Closable {
  /** Calls `listener` once on a fatal error (refused credentials, a topology conflict). */
  onFatal?(listener: (err: Error) => void): void;
}

/**
 * Runs `close` once on the first SIGTERM or SIGINT, then exits: 0 when it finished within
 * `timeoutMs`, 1 when it failed or timed out. A second signal exits at once. A fatal error
 * of the target (`onFatal`) is logged naming its cause, then the target is closed and the
 * process exits 1 whatever the close does, so that its supervisor restarts it: a process
 * never stays up but not ready. Only a role's `main.ts` (the cli) calls this.
 */
export function installShutdown(target: Supervised, logger: Logger, timeoutMs = 15_000): void {
  let stopping = false;
  const stop = (reason: Record<string, unknown>, failed: boolean) => {
    stopping = true;
    // After a fatal error the broker may not answer a clean close: do not wait long for it.
    const limit = failed ? Math.min(timeoutMs, 5000) : timeoutMs;
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: limit }, 'shutdown timed out');
      logger.flush();
      process.exit(1);
    }, limit);
    timer.unref();
    target.close().then(
      () => {
        logger.info(reason, failed ? 'stopped after a fatal error' : 'stopped');
        logger.flush();
        process.exit(failed ? 1 : 0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    stop({ signal }, false);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  target.onFatal?.((err) => {
    if (stopping) return;
    logger.fatal({ err }, `fatal error, exiting with status 1: ${err.message}`);
    stop({ fatal: err.message }, true);
  });
}

/** Wraps `fn` so that calling it again returns the first call's promise. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}
