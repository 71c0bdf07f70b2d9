import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The systems a run measures by default: exam-relay and its three peers, and `exam-size`,
 * exam-relay's Redis with one exam of BENCH_EXAM_SIZE examinees.
 */
export const SYSTEMS = ['relay', 'socketio', 'amqplib', 'ws', 'exam-size'] as const;
/**
 * Also selectable: `sentinel`, exam-relay's targeted load on the Redis of
 * scripts/redis-sentinel.sh with REDIS_WAIT_REPLICAS 0 and 1 (what WAIT costs).
 */
export const OPTIONAL_SYSTEMS = ['sentinel'] as const;
export type SystemName = (typeof SYSTEMS)[number] | (typeof OPTIONAL_SYSTEMS)[number];

/** The benchmark's knobs, from `BENCH_*` environment variables (defaults: issue 9's patterns). */
export const BenchEnv = z.object({
  /** Examinees of the targeted-change exam, all on the first server. Default 200. */
  BENCH_EXAMINEES: int(1, 10_000).default(200),
  /** Supervisors of that exam, all on the second server; each change reaches all. Default 20. */
  BENCH_SUPERVISORS: int(1, 1000).default(20),
  /** Closed-loop windows (requests in flight), comma-separated. Default `1,200`. */
  BENCH_CONCURRENCY: z
    .string()
    .default('1,200')
    .transform((s) => s.split(',').map((c) => Number(c.trim())))
    .pipe(z.array(z.number().int().min(1).max(10_000)).min(1)),
  /** Seconds of each closed-loop level that are counted, after the warmup. Default 6. */
  BENCH_CLOSED_SECONDS: z.coerce.number().positive().max(600).default(6),
  /** Seconds each closed-loop level runs before counting starts. Default 1. */
  BENCH_WARMUP_SECONDS: z.coerce.number().min(0).max(60).default(1),
  /** Open-loop schedule, changes per second. Default 1000. */
  BENCH_RATE: int(1, 100_000).default(1000),
  /** Open-loop schedule length in seconds. Default 10. */
  BENCH_OPEN_SECONDS: z.coerce.number().positive().max(600).default(10),
  /**
   * Longest wait for stragglers after a phase ends; what is still open then is counted as lost.
   * Long enough for a system that falls behind the open loop to work off its backlog. Default 60.
   */
  BENCH_DRAIN_SECONDS: z.coerce.number().positive().max(600).default(60),
  /** Examinees connected to each of the two servers by the connect storm. Default 2000. */
  BENCH_STORM_EXAMINEES: int(2, 10_000).default(2000),
  /** Connect-storm batch: this many connect at once, the next batch when all are welcomed. Default 200. */
  BENCH_STORM_BATCH: int(1, 10_000).default(200),
  /**
   * Examinees of the `exam-size` system's one exam (a tenth join and leave, the rest stay, half
   * on each server). Default 20000, issue 9's largest exam; at most 20000, this process's
   * sockets being limited.
   */
  BENCH_EXAM_SIZE: int(100, 20_000).default(20_000),
  /** Exam-wide changes timed to the exam's examinees (half of each server's); median reported. Default 5. */
  BENCH_BROADCAST_ROUNDS: int(1, 100).default(5),
  /** Longest wait, after the SIGKILL, for every examinee to have the change made after it. Default 60. */
  BENCH_FAILOVER_SECONDS: z.coerce.number().positive().max(600).default(60),
  /**
   * Which systems to run, comma-separated. Default `relay,socketio,amqplib,ws,exam-size`; `sentinel` (see
   * OPTIONAL_SYSTEMS) only when named here or with BENCH_WAIT_REPLICAS=1.
   */
  BENCH_SYSTEMS: z
    .string()
    .default(SYSTEMS.join(','))
    .transform((s) => s.split(',').map((c) => c.trim()))
    .pipe(z.array(z.enum([...SYSTEMS, ...OPTIONAL_SYSTEMS])).min(1)),
  /**
   * `1` adds the `sentinel` system to the run: the targeted closed loops against Redis through
   * Sentinel, with REDIS_WAIT_REPLICAS=0 and =1. Default 0 (it brings up its own Redis nodes).
   */
  BENCH_WAIT_REPLICAS: z.enum(['0', '1']).default('0'),
  /**
   * When set, each exam-relay process is CPU-profiled (through its inspector) during the load
   * phases and `<dir>/<process>.cpuprofile` is written, for Chrome DevTools. Default unset.
   */
  BENCH_PROFILE_DIR: z.string().optional(),
  /** State-manager prefetch, also used by the amqplib floor's middle consumer. Default 64. */
  BENCH_PREFETCH: int(1, 10_000).default(64),
});

export type BenchConfig = z.infer<typeof BenchEnv>;

/**
 * `BENCH_QUICK=1`: a smoke run of every pattern in about two minutes per system, for
 * development. Explicit `BENCH_*` values still win.
 */
const QUICK: Record<string, string> = {
  BENCH_CLOSED_SECONDS: '2',
  BENCH_WARMUP_SECONDS: '0.5',
  BENCH_OPEN_SECONDS: '3',
  BENCH_DRAIN_SECONDS: '10',
  BENCH_STORM_EXAMINEES: '400',
  BENCH_EXAM_SIZE: '2000',
  BENCH_BROADCAST_ROUNDS: '3',
  BENCH_FAILOVER_SECONDS: '30',
};

export function loadBenchConfig(env: Record<string, string | undefined>): BenchConfig {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== ''),
  );
  const quick = cleaned.BENCH_QUICK === '1' ? QUICK : {};
  delete cleaned.BENCH_QUICK;
  const result = BenchEnv.safeParse({ ...quick, ...cleaned });
  if (!result.success) throw new Error(`invalid bench config:\n${z.prettifyError(result.error)}`);
  const config = result.data;
  if (config.BENCH_WAIT_REPLICAS === '1' && !config.BENCH_SYSTEMS.includes('sentinel'))
    config.BENCH_SYSTEMS.push('sentinel');
  return config;
}
