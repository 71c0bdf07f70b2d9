import { BaselineTarget } from './baseline-target.js';
import type { BenchConfig } from './config.js';
import { runPhases } from './phases.js';
import type { SystemResult } from './report.js';

/** The raw amqplib baseline over the same phases; its queues and keys are removed afterwards. */
export async function runBaseline(
  config: BenchConfig,
  shared: Record<string, number[]>,
): Promise<SystemResult> {
  const target = new BaselineTarget({
    examinees: config.BENCH_EXAMINEES,
    supervisors: config.BENCH_SUPERVISORS,
  });
  try {
    console.log(`baseline: starting worker (namespace ${target.namespace})`);
    await target.start(config.BENCH_PREFETCH);
    const phases = await runPhases(target, config, {
      worker: target.workerPid === undefined ? [] : [target.workerPid],
      ...shared,
    });
    return {
      name: target.name,
      ...phases,
      notes: { namespace: target.namespace, nacked: target.nacked },
    };
  } finally {
    await target.stop();
  }
}
