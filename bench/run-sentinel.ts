import type { BenchConfig } from './config.js';
import { runPhases } from './phases.js';
import { RelayCluster } from './relay-cluster.js';
import { RelayTarget } from './relay-target.js';
import { sentinelSystemName, type SystemResult } from './report.js';
import {
  SENTINEL_ENV,
  cleanSentinelRedis,
  sentinelRedis,
  sentinelScript,
  sentinelsUp,
} from '../test/helpers/sentinel.js';

/** Each setting's closed loops run this many times, alternating, and the median is kept. */
const ROUNDS = 3;

/** One exam-relay cluster on the sentinel setup with one REDIS_WAIT_REPLICAS value. */
interface Rig {
  waitReplicas: number;
  cluster: RelayCluster;
  target: RelayTarget;
  pids: Record<string, number[]>;
  rounds: SystemResult['closed'][];
}

/**
 * What REDIS_WAIT_REPLICAS costs: exam-relay's targeted closed loops (the same examinees,
 * supervisors and windows as the `relay` system; no open loop, no scale patterns) against the
 * primary and replica of scripts/redis-sentinel.sh, found through its Sentinels, with
 * REDIS_WAIT_REPLICAS=0 and with 1. Both clusters run side by side (in their own namespaces)
 * and take turns, ROUNDS times in alternating order, so a change in what else the machine runs
 * weighs on both alike; each level reports its median round. Brings the setup up unless it is
 * up already, and takes it down afterwards if it did.
 */
export async function runSentinel(
  config: BenchConfig,
  shared: Record<string, number[]>,
): Promise<SystemResult[]> {
  const broughtUp = !(await sentinelsUp());
  await sentinelScript('up');
  const redis = sentinelRedis();
  const rigs: Rig[] = [];
  try {
    for (const waitReplicas of [0, 1]) {
      const cluster = new RelayCluster({
        ...SENTINEL_ENV,
        REDIS_WAIT_REPLICAS: String(waitReplicas),
      });
      const rig: Rig = { waitReplicas, cluster, target: new RelayTarget(), pids: {}, rounds: [] };
      rigs.push(rig);
      console.log(`${sentinelSystemName(waitReplicas)}: starting (namespace ${cluster.namespace})`);
      await cluster.start(['serverA', 'serverB']);
      await RelayTarget.warmUp([cluster.port('serverA'), cluster.port('serverB')]);
      await cluster.connectTarget(rig.target, config, redis);
      await cluster.settle();
      rig.pids = cluster.pids();
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const rig of round % 2 === 0 ? rigs : [...rigs].reverse()) {
        console.log(`${sentinelSystemName(rig.waitReplicas)}: round ${round + 1}/${ROUNDS}`);
        const phases = await runPhases(
          rig.target,
          config,
          { ...rig.pids, ...shared },
          { open: false },
        );
        rig.rounds.push(phases.closed);
        await rig.cluster.settle();
      }
    }
    return rigs.map((rig) => ({
      name: sentinelSystemName(rig.waitReplicas),
      closed: config.BENCH_CONCURRENCY.map((c) => median(rig.rounds, c)),
      open: undefined,
      integrity: { targeted: { ...rig.target.integrity } },
      notes: {
        namespace: rig.cluster.namespace,
        waitReplicas: rig.waitReplicas,
        rounds: rig.rounds.map((r) =>
          r.map((c) => ({ concurrency: c.concurrency, throughput: c.throughput })),
        ),
        unexpectedCloses: rig.target.unexpectedCloses(),
      },
    }));
  } finally {
    for (const rig of rigs) {
      await rig.target.close().catch(() => undefined);
      await rig.cluster.stop();
      await cleanSentinelRedis(rig.cluster.namespace);
    }
    redis.disconnect();
    if (broughtUp) await sentinelScript('down');
  }
}

/** The round whose throughput at `concurrency` is the median (its latencies and CPU with it). */
function median(
  rounds: SystemResult['closed'][],
  concurrency: number,
): SystemResult['closed'][number] {
  const at = rounds
    .map((r) => r.find((c) => c.concurrency === concurrency))
    .filter((c) => c !== undefined)
    .sort((a, b) => a.throughput - b.throughput);
  const mid = at[Math.floor((at.length - 1) / 2)];
  if (!mid) throw new Error(`no closed loop at ${concurrency}`);
  return mid;
}
