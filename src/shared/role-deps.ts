import type { Redis } from 'ioredis';
import type { AmqpConnection } from './amqp/connection.js';
import type { BusSigner } from './bus-signature.js';
import type { Logger } from './logger.js';
import type { RedisKeys } from './redis/keys.js';

/**
 * What `main.ts` (or a test) hands a role on the bus, the socket server and the state manager:
 * connections it opened and closes itself, the namespace's keys and a logger. Each role's deps
 * add its topology (shared/ imports no topology).
 */
export interface RoleDeps<Metrics> {
  amqp: AmqpConnection;
  /** Signs what the role publishes and verifies what it consumes. */
  signer: BusSigner;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** Default: a fresh set on its own registry. */
  metrics?: Metrics;
}
