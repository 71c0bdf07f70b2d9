import type { BenchConfig } from './config.js';
import { closedLoop, openLoop } from './load.js';
import { CpuMeter } from './proc.js';
import type { SystemResult } from './report.js';
import { sleep } from './stats.js';
import type { Target } from './target.js';

/**
 * The same phases for every system: each closed-loop level, then the open-loop schedule
 * (last, since a system that falls behind may still be working through its backlog; skipped
 * with `open: false`). `pids` names the processes whose CPU time is reported per phase.
 */
export async function runPhases(
  target: Target,
  config: BenchConfig,
  pids: Record<string, number[]>,
  options: { open?: boolean } = {},
): Promise<Pick<SystemResult, 'closed' | 'open'>> {
  const meter = new CpuMeter(pids);
  const run = Date.now().toString(36);
  const closed: SystemResult['closed'] = [];
  for (const concurrency of config.BENCH_CONCURRENCY) {
    meter.start();
    const result = await closedLoop(target, {
      concurrency,
      warmupSeconds: config.BENCH_WARMUP_SECONDS,
      seconds: config.BENCH_CLOSED_SECONDS,
      drainSeconds: config.BENCH_DRAIN_SECONDS,
      idPrefix: `c${concurrency}-${run}`,
    });
    closed.push({ ...result, cpu: meter.stop() });
    console.log(
      `  ${target.name} closed c=${concurrency}: ${result.throughput} changes/s` +
        ` (p50 ${result.latencyMs?.p50 ?? '-'} ms, p99 ${result.latencyMs?.p99 ?? '-'} ms` +
        `${result.failed ? `, ${result.failed} failed` : ''})`,
    );
    await sleep(300);
  }
  if (options.open === false) return { closed, open: undefined };
  meter.start();
  const open = await openLoop(target, {
    rate: config.BENCH_RATE,
    seconds: config.BENCH_OPEN_SECONDS,
    drainSeconds: config.BENCH_DRAIN_SECONDS,
    idPrefix: `o-${run}`,
  });
  const cpu = meter.stop();
  console.log(
    `  ${target.name} open ${open.targetRate}/s: sent ${open.sentRate}/s, completed` +
      ` ${open.completedRate}/s, deliver p99 ${open.deliverMs?.p99 ?? '-'} ms,` +
      ` incomplete ${open.incomplete.total}`,
  );
  return { closed, open: { ...open, cpu } };
}
