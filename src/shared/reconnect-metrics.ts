import { Counter, type Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { AmqpConnection } from './amqp/connection.js';

/**
 * Counts broker and Redis reconnects (not the first connect) on `registry`:
 * `exam_relay_reconnects_total{service="amqp"|"redis"}`. Returns a remover.
 */
export function countReconnects(
  registry: Registry,
  amqp: AmqpConnection,
  redis: Redis,
): () => void {
  const counter = new Counter({
    name: 'exam_relay_reconnects_total',
    help: 'Reconnects to the broker and to Redis after a lost connection',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  let amqpReady = amqp.status === 'ready';
  let redisReady = redis.status === 'ready';
  const onAmqp = (status: string) => {
    if (status !== 'ready') return;
    if (amqpReady) counter.inc({ service: 'amqp' });
    amqpReady = true;
  };
  const onRedis = () => {
    if (redisReady) counter.inc({ service: 'redis' });
    redisReady = true;
  };
  amqp.on('status', onAmqp);
  redis.on('ready', onRedis);
  return () => {
    amqp.off('status', onAmqp);
    redis.off('ready', onRedis);
  };
}
