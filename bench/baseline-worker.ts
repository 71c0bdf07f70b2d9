// The baseline's middle hop, run as its own process like the state manager: consumes the
// quorum queue (prefetch like the state manager's), does one Redis HSET, publishes to the
// second queue with a confirm, then acks. No validation, no WebSocket. Started by
// bench/baseline-target.ts with BASELINE_* in its environment; prints `ready` when consuming.
import amqp from 'amqplib';
import { Redis } from 'ioredis';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const amqpUrl = env('AMQP_URL');
const inQueue = env('BASELINE_IN_QUEUE');
const outQueue = env('BASELINE_OUT_QUEUE');
const keyPrefix = env('BASELINE_KEY_PREFIX');
const prefetch = Number(env('BASELINE_PREFETCH'));

// Named so the bench's SLOWLOG tells the floor's commands (`bench/slowlog.ts`).
const redis = new Redis(env('REDIS_URL'), { connectionName: 'bench-floor' });
const conn = await amqp.connect(amqpUrl, { noDelay: true });
const consumer = await conn.createChannel();
const publisher = await conn.createConfirmChannel();
await consumer.prefetch(prefetch);

await consumer.consume(inQueue, (msg) => {
  if (!msg) return;
  const change = JSON.parse(msg.content.toString('utf8')) as {
    examineeId: string;
    status: string;
    supervisorId: string;
    timestamp: string;
  };
  redis
    .hset(
      `${keyPrefix}examinee:${change.examineeId}:status`,
      'status',
      change.status,
      'supervisorId',
      change.supervisorId,
      'timestamp',
      change.timestamp,
    )
    .then(
      () =>
        new Promise<void>((resolve, reject) =>
          publisher.publish('', outQueue, msg.content, {}, (err) =>
            err ? reject(err as Error) : resolve(),
          ),
        ),
    )
    .then(
      () => consumer.ack(msg),
      (err: unknown) => {
        console.error('baseline worker failed', err);
        consumer.nack(msg, false, true);
      },
    );
});
process.stdout.write('ready\n');

const stop = async () => {
  await conn.close().catch(() => undefined);
  redis.disconnect();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
