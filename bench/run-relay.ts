import { rawRedis } from '../test/helpers/env.js';
import type { BenchConfig } from './config.js';
import { RoleProbe } from './role-probe.js';
import { runPhases } from './phases.js';
import { RelayCluster } from './relay-cluster.js';
import { RelayFleet } from './relay-fleet.js';
import { RelayTarget } from './relay-target.js';
import type { SystemResult } from './report.js';
import { runScale, type ScaleServer } from './scale.js';

/**
 * exam-relay end to end: a state manager, serverA and serverB as real processes in a random
 * namespace, driven over WebSockets. Targeted load first (examinees on serverA, supervisors on
 * serverB), then the scale patterns, whose failover storm SIGKILLs serverA. Everything is
 * removed afterwards.
 */
export async function runRelay(
  config: BenchConfig,
  shared: Record<string, number[]>,
): Promise<SystemResult> {
  const cluster = new RelayCluster();
  const redis = rawRedis();
  const target = new RelayTarget();
  let probe: RoleProbe | undefined;
  const settle = () => cluster.settle();
  try {
    console.log(`exam-relay: starting processes (namespace ${cluster.namespace})`);
    await cluster.start(['serverA', 'serverB']);
    const processes = cluster.processes();
    probe = await RoleProbe.attach(processes);
    await RelayTarget.warmUp([cluster.port('serverA'), cluster.port('serverB')]);
    await settle();
    console.log(
      `exam-relay: targeted changes, ${config.BENCH_EXAMINEES} examinees on serverA,` +
        ` ${config.BENCH_SUPERVISORS} supervisors on serverB`,
    );
    await cluster.connectTarget(target, config, redis);
    await settle();

    const pids = cluster.pids();
    if (config.BENCH_PROFILE_DIR) await probe.startProfiling();
    const phases = await runPhases(target, config, { ...pids, ...shared });
    if (config.BENCH_PROFILE_DIR) {
      for (const path of await probe.stopProfiling(config.BENCH_PROFILE_DIR))
        console.log(`  wrote ${path}`);
    }
    await target.close();
    await settle();

    const live = probe;
    const scaleServer = (name: string): ScaleServer => ({
      name,
      port: cluster.port(name),
      kill: () => void cluster.servers.get(name)?.process.child.kill('SIGKILL'),
    });
    const scale = await runScale(
      {
        fleet: new RelayFleet(),
        servers: [scaleServer('serverA'), scaleServer('serverB')],
        settle,
        readMemory: () => live.read(),
      },
      config,
    );
    return {
      name: 'exam-relay',
      ...phases,
      scale,
      integrity: { targeted: { ...target.integrity } },
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
