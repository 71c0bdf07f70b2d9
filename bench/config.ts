import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The benchmark's knobs, from `BENCH_*` environment variables (defaults fit in ~3 minutes). */
export const BenchEnv = z.object({
  /** Examinees of the one exam, all on serverA. Default 200. */
  BENCH_EXAMINEES: int(1, 10_000).default(200),
  /** Supervisors of the exam, all on serverB; each change reaches all of them. Default 20. */
  BENCH_SUPERVISORS: int(1, 1000).default(20),
  /** Closed-loop windows (requests in flight), comma-separated. Default `1,16,64`. */
  BENCH_CONCURRENCY: z
    .string()
    .default('1,16,64')
    .transform((s) => s.split(',').map((c) => Number(c.trim())))
    .pipe(z.array(z.number().int().min(1).max(10_000)).min(1)),
  /** Seconds of each closed-loop level that are counted, after the warmup. Default 6. */
  BENCH_CLOSED_SECONDS: z.coerce.number().positive().max(600).default(6),
  /** Seconds each closed-loop level runs before counting starts. Default 1. */
  BENCH_WARMUP_SECONDS: z.coerce.number().min(0).max(60).default(1),
  /** Open-loop schedule, changes per second. Default 2000. */
  BENCH_RATE: int(1, 100_000).default(2000),
  /** Open-loop schedule length in seconds. Default 10. */
  BENCH_OPEN_SECONDS: z.coerce.number().positive().max(600).default(10),
  /** Longest wait for stragglers after a phase ends; what is still open then is counted. Default 20. */
  BENCH_DRAIN_SECONDS: z.coerce.number().positive().max(600).default(20),
  /** Which systems to run, comma-separated. Default `relay,baseline`. */
  BENCH_SYSTEMS: z
    .string()
    .default('relay,baseline')
    .transform((s) => s.split(',').map((c) => c.trim()))
    .pipe(z.array(z.enum(['relay', 'baseline'])).min(1)),
  /**
   * When set, each exam-relay process is CPU-profiled (through its inspector) during the load
   * phases and `<dir>/<process>.cpuprofile` is written, for Chrome DevTools. Default unset.
   */
  BENCH_PROFILE_DIR: z.string().optional(),
  /** State-manager prefetch, also used by the baseline's middle consumer. Default 64. */
  BENCH_PREFETCH: int(1, 10_000).default(64),
});

export type BenchConfig = z.infer<typeof BenchEnv>;

export function loadBenchConfig(env: Record<string, string | undefined>): BenchConfig {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== ''),
  );
  const result = BenchEnv.safeParse(cleaned);
  if (!result.success) throw new Error(`invalid bench config:\n${z.prettifyError(result.error)}`);
  return result.data;
}
