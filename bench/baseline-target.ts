import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { AMQP_URL, REDIS_URL, cleanRedis, randomNamespace } from '../test/helpers/env.js';
import type { Target, TargetEvents } from './target.js';

const WORKER = fileURLToPath(new URL('./baseline-worker.ts', import.meta.url));
const STATUSES = ['STARTED', 'PAUSED', 'RESUMED'] as const;

/**
 * Raw amqplib doing the same two broker hops and one Redis write as exam-relay, with no
 * WebSocket and no validation: the bench publishes (confirm channel, persistent) to a quorum
 * queue → a worker process (bench/baseline-worker.ts) does one HSET, publishes to a classic
 * exclusive queue with a confirm, acks → the bench consumes it. A change is delivered when it
 * arrives there; there is no separate ack.
 */
export class BaselineTarget implements Target {
  readonly name = 'amqplib';
  readonly acks = false;
  readonly namespace = `bench${randomNamespace()}`;
  readonly inQueue = `${this.namespace}.baseline_in`;
  readonly outQueue = `${this.namespace}.baseline_out`;
  private events: TargetEvents | undefined;
  private producerConn: ChannelModel | undefined;
  private consumerConn: ChannelModel | undefined;
  private producer: ConfirmChannel | undefined;
  private worker: ChildProcess | undefined;
  /** Publishes the broker refused to confirm (they will never be delivered). */
  nacked = 0;

  constructor(private readonly options: { examinees: number; supervisors: number }) {}

  listen(events: TargetEvents): void {
    this.events = events;
  }

  async start(prefetch: number): Promise<void> {
    this.producerConn = await amqp.connect(AMQP_URL, { noDelay: true });
    this.producer = await this.producerConn.createConfirmChannel();
    await this.producer.assertQueue(this.inQueue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    // The final consumer owns the exclusive queue, as a socket server owns its {serverId}_queue.
    this.consumerConn = await amqp.connect(AMQP_URL, { noDelay: true });
    const consumer = await this.consumerConn.createChannel();
    await consumer.assertQueue(this.outQueue, {
      exclusive: true,
      durable: false,
      autoDelete: true,
    });
    await consumer.prefetch(512); // as the socket server's consumer
    await consumer.consume(this.outQueue, (msg) => {
      if (!msg) return;
      const at = performance.now();
      const { id } = JSON.parse(msg.content.toString('utf8')) as { id: string };
      consumer.ack(msg);
      this.events?.delivered(id, at);
    });
    this.worker = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: {
        ...process.env,
        AMQP_URL,
        REDIS_URL,
        BASELINE_IN_QUEUE: this.inQueue,
        BASELINE_OUT_QUEUE: this.outQueue,
        BASELINE_KEY_PREFIX: `${this.namespace}:`,
        BASELINE_PREFETCH: String(prefetch),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      this.worker?.once('exit', (code) => reject(new Error(`baseline worker exited ${code}`)));
      this.worker?.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        if (chunk.includes('ready')) resolve();
      });
    });
  }

  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  send(id: string, index: number): void {
    const producer = this.producer;
    if (!producer) throw new Error('not started');
    const body = {
      id,
      supervisorId: `S${String((index % this.options.supervisors) + 1).padStart(4, '0')}`,
      examineeId: `E${String((index % this.options.examinees) + 1).padStart(4, '0')}`,
      status: STATUSES[index % STATUSES.length],
      timestamp: new Date().toISOString(),
    };
    producer.sendToQueue(
      this.inQueue,
      Buffer.from(JSON.stringify(body)),
      { persistent: true, contentType: 'application/json' },
      (err) => {
        if (!err) return;
        this.nacked += 1;
        this.events?.failed(id, 'NACK');
      },
    );
  }

  /** Stops the worker, deletes both queues and the Redis keys. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    if (this.producerConn) {
      const ch = await this.producerConn.createChannel();
      await ch.deleteQueue(this.inQueue).catch(() => undefined);
      await this.producerConn.close().catch(() => undefined);
    }
    // Closing its owner deletes the exclusive queue.
    await this.consumerConn?.close().catch(() => undefined);
    await cleanRedis(this.namespace);
  }
}
