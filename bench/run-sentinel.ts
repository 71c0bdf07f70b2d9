import type { BenchConfig } from './config.js';
import { runPhases } from './phases.js';
import { RelayCluster } from './relay-cluster.js';
import { RelayTarget } from './relay-target.js';
import { sentinelSystemName, type SystemResult } from './report.js';
import { sleep } from './stats.js';
import {
  SENTINEL_ENV,
  cleanSentinelRedis,
  sentinelRedis,
  sentinelScript,
  sentinelsUp,
} from '../test/helpers/sentinel.js';

/**
 * What REDIS_WAIT_REPLICAS costs: exam-relay's targeted closed loops (the same examinees,
 * supervisors and windows as the `relay` system, no open loop, no scale patterns) against the
 * primary and replica of scripts/redis-sentinel.sh, found through its Sentinels, once with
 * REDIS_WAIT_REPLICAS=0 and once with 1. Brings the setup up unless it is up already, and takes
 * it down afterwards if it did.
 */
export async function runSentinel(
  config: BenchConfig,
  shared: Record<string, number[]>,
): Promise<SystemResult[]> {
  const broughtUp = !(await sentinelsUp());
  await sentinelScript('up');
  try {
    const results: SystemResult[] = [];
    for (const waitReplicas of [0, 1]) results.push(await runOnce(config, shared, waitReplicas));
    return results;
  } finally {
    if (broughtUp) await sentinelScript('down');
  }
}

async function runOnce(
  config: BenchConfig,
  shared: Record<string, number[]>,
  waitReplicas: number,
): Promise<SystemResult> {
  const cluster = new RelayCluster({
    ...SENTINEL_ENV,
    REDIS_WAIT_REPLICAS: String(waitReplicas),
  });
  const redis = sentinelRedis();
  const target = new RelayTarget();
  const name = sentinelSystemName(waitReplicas);
  const settle = async () => {
    for (let quiet = 0; quiet < 3;) {
      quiet = (await cluster.statusQueueDepth()) === 0 ? quiet + 1 : 0;
      await sleep(200);
    }
  };
  try {
    console.log(`${name}: starting processes (namespace ${cluster.namespace})`);
    await cluster.start(['serverA', 'serverB']);
    await RelayTarget.warmUp([cluster.port('serverA'), cluster.port('serverB')]);
    await target.connect({
      examineePort: cluster.port('serverA'),
      supervisorPort: cluster.port('serverB'),
      examinees: config.BENCH_EXAMINEES,
      supervisors: config.BENCH_SUPERVISORS,
      namespace: cluster.namespace,
      redis,
    });
    await settle();
    const pids: Record<string, number[]> = {};
    for (const [n, proc] of cluster.processes()) pids[n] = proc.child.pid ? [proc.child.pid] : [];
    const phases = await runPhases(target, config, { ...pids, ...shared }, { open: false });
    await target.close();
    return {
      name,
      ...phases,
      integrity: { targeted: { ...target.integrity } },
      notes: {
        namespace: cluster.namespace,
        waitReplicas,
        unexpectedCloses: target.unexpectedCloses(),
      },
    };
  } finally {
    await target.close().catch(() => undefined);
    redis.disconnect();
    await cluster.stop();
    await cleanSentinelRedis(cluster.namespace);
  }
}
