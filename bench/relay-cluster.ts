import amqp from 'amqplib';
import type { Redis } from 'ioredis';
import { createNames } from '../src/topology/names.js';
import { AMQP_URL, randomNamespace } from '../test/helpers/env.js';
import {
  cleanNamespace,
  declareTopology,
  freePort,
  roleEnv,
  startRole,
  startServer,
  type RoleProcess,
} from '../test/helpers/processes.js';
import type { BenchConfig } from './config.js';
import type { RelayTarget } from './relay-target.js';
import { sleep } from './stats.js';

/**
 * Real `exam-relay` processes in a random namespace, started the way test/helpers/cluster.ts
 * does, but quiet (`LOG_LEVEL=warn`) and with the per-connection rate limit out of the way.
 * cluster.ts waits for the state manager's `info` log line, which `warn` hides, so readiness
 * here is "status_queue has a consumer" instead.
 */
export class RelayCluster {
  readonly servers = new Map<string, { process: RoleProcess; port: number }>();
  stateManager: RoleProcess | undefined;
  readonly namespace = `bench${randomNamespace()}`;

  /** `extraEnv` goes to every process (e.g. REDIS_SENTINELS). */
  constructor(private readonly extraEnv: Record<string, string> = {}) {}

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return roleEnv({
      namespace: this.namespace,
      extra: {
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_SECOND: '100000',
        RATE_LIMIT_BURST: '100000',
        ...this.extraEnv,
        ...extra,
      },
    });
  }

  /** Long-running roles get an inspector on a random local port (bench/inspector.ts uses it). */
  private roleEnv(): NodeJS.ProcessEnv {
    return this.env({ NODE_OPTIONS: '--inspect=127.0.0.1:0' });
  }

  async start(serverIds: string[]): Promise<void> {
    await declareTopology(this.env());
    this.stateManager = startRole('state-manager', ['state-manager'], this.roleEnv());
    await this.waitForConsumer(createNames(this.namespace).statusQueue, this.stateManager);
    await Promise.all(
      serverIds.map(async (id) => {
        this.servers.set(id, await startServer(id, await freePort(), this.roleEnv()));
      }),
    );
  }

  port(serverId: string): number {
    const entry = this.servers.get(serverId);
    if (!entry) throw new Error(`no server ${serverId}`);
    return entry.port;
  }

  /** The long-running processes by name: serverA, serverB, …, state-manager. */
  processes(): Map<string, RoleProcess> {
    const all = new Map([...this.servers].map(([id, s]) => [id, s.process]));
    if (this.stateManager) all.set('state-manager', this.stateManager);
    return all;
  }

  /** The pid of each long-running process by name, for the report's CPU columns. */
  pids(): Record<string, number[]> {
    const pids: Record<string, number[]> = {};
    for (const [name, proc] of this.processes())
      pids[name] = proc.child.pid ? [proc.child.pid] : [];
    return pids;
  }

  /**
   * Logs the configured examinees of `target` in on serverA and its supervisors on serverB,
   * and waits until the state manager routed them all.
   */
  connectTarget(target: RelayTarget, config: BenchConfig, redis: Redis): Promise<void> {
    return target.connect({
      examineePort: this.port('serverA'),
      supervisorPort: this.port('serverB'),
      examinees: config.BENCH_EXAMINEES,
      supervisors: config.BENCH_SUPERVISORS,
      namespace: this.namespace,
      redis,
    });
  }

  /** Connects, closes and presence travel through status_queue: done when it stays empty. */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3;) {
      quiet = (await this.statusQueueDepth()) === 0 ? quiet + 1 : 0;
      await sleep(200);
    }
  }

  /** Messages ready in status_queue (not counting those a consumer holds unacked). */
  async statusQueueDepth(): Promise<number> {
    return this.withChannel(async (ch) => {
      const q = await ch.checkQueue(createNames(this.namespace).statusQueue);
      return q.messageCount;
    });
  }

  /** Stops every process, then deletes the namespace's queues, exchanges and keys. */
  async stop(): Promise<void> {
    const all = [...this.servers.values()].map((s) => s.process);
    if (this.stateManager) all.push(this.stateManager);
    await Promise.allSettled(all.map((p) => p.stop()));
    await cleanNamespace(this.namespace, this.servers.keys());
  }

  private async waitForConsumer(queue: string, proc: RoleProcess, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null) throw new Error(`state manager exited:\n${proc.tail()}`);
      const consumers = await this.withChannel(
        async (ch) => (await ch.checkQueue(queue)).consumerCount,
      );
      if (consumers > 0) return;
      await sleep(50);
    }
    throw new Error(`no consumer on ${queue} within ${timeoutMs} ms:\n${proc.tail()}`);
  }

  private async withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
    const conn = await amqp.connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      return await fn(ch);
    } finally {
      await conn.close().catch(() => undefined);
    }
  }
}
