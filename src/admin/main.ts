import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';

/** Placeholder until the admin UI lands: nothing to run yet. */
export async function runAdmin(
  _config: Config,
  logger: Logger,
  options: { port: number },
): Promise<{ close(): Promise<void> }> {
  logger.warn({ port: options.port }, 'admin UI not built yet');
  return { close: async () => undefined };
}
