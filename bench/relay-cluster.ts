import amqp from 'amqplib';
import type { Redis } from 'ioredis';
import { createNames } from '../src/topology/names.js';
import { Cluster } from '../test/helpers/cluster.js';
import { AMQP_URL, randomNamespace } from '../test/helpers/env.js';
import { declareTopology, startRole, type RoleProcess } from '../test/helpers/processes.js';
import type { BenchConfig } from './config.js';
import type { RelayTarget } from './relay-target.js';
import { sleep } from './stats.js';

/** Long-running roles get an inspector on a random local port (bench/inspector.ts uses it). */
const INSPECT = { NODE_OPTIONS: '--inspect=127.0.0.1:0' };

/**
 * Real `exam-relay` processes in a random namespace: test/helpers/cluster.ts's `Cluster`, but
 * quiet (`LOG_LEVEL=warn`) and with the per-connection rate limit out of the way. `Cluster`
 * waits for the state manager's `info` log line, which `warn` hides, so readiness here is
 * "status_queue has a consumer" instead.
 */
export class RelayCluster extends Cluster {
  /** `extraEnv` goes to every process (e.g. REDIS_SENTINELS). */
  constructor(extraEnv: Record<string, string> = {}) {
    super(`bench${randomNamespace()}`, {
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      ...extraEnv,
    });
  }

  /** Declares the topology, starts the state manager, then the named servers at once. */
  async start(serverIds: string[]): Promise<void> {
    await declareTopology(this.env());
    await this.startStateManager();
    await Promise.all(serverIds.map((id) => this.startServer(id, undefined, INSPECT)));
  }

  /** Ready once it consumes status_queue; `stop()` stops it even if it never gets there. */
  override async startStateManager(extra: Record<string, string> = {}): Promise<RoleProcess> {
    const sm = startRole('state-manager', ['state-manager'], this.env({ ...INSPECT, ...extra }));
    this.stateManagers.push(sm);
    await this.waitForConsumer(createNames(this.namespace).statusQueue, sm);
    return sm;
  }

  /** The long-running processes by name: serverA, serverB, …, state-manager. */
  processes(): Map<string, RoleProcess> {
    const all = new Map([...this.servers].map(([id, s]) => [id, s.process]));
    const [stateManager] = this.stateManagers;
    if (stateManager) all.set('state-manager', stateManager);
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
