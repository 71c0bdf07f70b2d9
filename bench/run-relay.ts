import { rawRedis } from '../test/helpers/env.js';
import type { BenchConfig } from './config.js';
import { RoleProbe, summarizeMemory, type ProcessMemory } from './role-probe.js';
import { runPhases } from './phases.js';
import { RelayCluster } from './relay-cluster.js';
import { RelayTarget } from './relay-target.js';
import type { SystemResult } from './report.js';
import { sleep } from './stats.js';

/**
 * exam-relay end to end: a state manager, serverA (examinees) and serverB (supervisors) as real
 * processes in a random namespace, driven over WebSockets. Everything is removed afterwards.
 */
export async function runRelay(
  config: BenchConfig,
  shared: Record<string, number[]>,
): Promise<SystemResult> {
  const cluster = new RelayCluster();
  const redis = rawRedis();
  const target = new RelayTarget();
  let probe: RoleProbe | undefined;
  try {
    console.log(`exam-relay: starting processes (namespace ${cluster.namespace})`);
    await cluster.start(['serverA', 'serverB']);
    const processes = cluster.processes();
    probe = await RoleProbe.attach(processes);
    await RelayTarget.warmUp([cluster.port('serverA'), cluster.port('serverB')]);
    while ((await cluster.statusQueueDepth()) > 0) await sleep(100);
    await sleep(1000); // let start-up work settle before the empty reading
    const start = await probe.read();
    console.log(
      `exam-relay: connecting ${config.BENCH_EXAMINEES} examinees to serverA,` +
        ` ${config.BENCH_SUPERVISORS} supervisors to serverB`,
    );
    await target.connect({
      examineePort: cluster.port('serverA'),
      supervisorPort: cluster.port('serverB'),
      examinees: config.BENCH_EXAMINEES,
      supervisors: config.BENCH_SUPERVISORS,
      namespace: cluster.namespace,
      redis,
    });
    // Connect and presence traffic must be done before the idle reading and the load.
    while ((await cluster.statusQueueDepth()) > 0) await sleep(100);
    await sleep(1500);
    const idle = await probe.read();

    const pids: Record<string, number[]> = {};
    for (const [name, proc] of processes) pids[name] = proc.child.pid ? [proc.child.pid] : [];
    if (config.BENCH_PROFILE_DIR) await probe.startProfiling();
    const phases = await runPhases(target, config, { ...pids, ...shared });
    if (config.BENCH_PROFILE_DIR) {
      for (const path of await probe.stopProfiling(config.BENCH_PROFILE_DIR))
        console.log(`  wrote ${path}`);
    }

    const after = await probe.read();
    const connections: Record<string, number> = {
      serverA: config.BENCH_EXAMINEES,
      serverB: config.BENCH_SUPERVISORS,
      'state-manager': config.BENCH_EXAMINEES + config.BENCH_SUPERVISORS,
    };
    const memory: Record<string, ProcessMemory> = {};
    for (const name of processes.keys()) {
      const readings = { start: start[name], idle: idle[name], after: after[name] };
      if (readings.start && readings.idle && readings.after) {
        memory[name] = summarizeMemory(
          { start: readings.start, idle: readings.idle, after: readings.after },
          connections[name] ?? 0,
        );
      }
    }
    return {
      name: target.name,
      ...phases,
      memory,
      notes: {
        namespace: cluster.namespace,
        framesReceivedByBench: target.framesIn,
        unexpectedCloses: target.unexpectedCloses(),
        statusQueueDepthAfter: await cluster.statusQueueDepth(),
      },
    };
  } finally {
    probe?.close();
    await target.close().catch(() => undefined);
    redis.disconnect();
    await cluster.stop();
  }
}
