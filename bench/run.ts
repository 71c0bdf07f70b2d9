// `npm run bench`: issue 9's load patterns on exam-relay and, in the same run and process
// tree, on its peers: a Socket.IO 4 + @socket.io/redis-adapter pair of servers doing the same
// work without durability, the raw amqplib floor (two durable hops + one HSET), and a bare `ws`
// server for memory. Needs RabbitMQ and Redis (AMQP_URL, REDIS_URL; localhost defaults) and a
// built dist/ (`npm run bench` builds first). Knobs: BENCH_* in bench/config.ts (BENCH_QUICK=1
// for a smoke run). Prints one table and writes bench/results/<ISO timestamp>.json and
// bench/results/latest.json. It measures; it asserts nothing about timing.
import { cpus, loadavg } from 'node:os';
import { rawRedis } from '../test/helpers/env.js';
import { loadBenchConfig } from './config.js';
import { pidsNamed } from './proc.js';
import { buildTable, printTable, writeResult, type SystemResult } from './report.js';
import type { ProcessMemory } from './role-probe.js';
import { runBaseline } from './run-baseline.js';
import { runFloor } from './run-floor.js';
import { runRelay } from './run-relay.js';
import { runSentinel } from './run-sentinel.js';
import { runSio } from './run-sio.js';
import { SlowLog } from './slowlog.js';
import { runExamSize } from './run-exam-size.js';

const config = loadBenchConfig(process.env);
/** How each system names its Redis connections, to tell its SLOWLOG entries. */
const REDIS_CLIENT_NAMES = {
  relay: 'exam-relay:',
  socketio: 'bench-sio',
  amqplib: 'bench-floor',
} as const;
const started = new Date();
const loadavgBefore = loadavg();
// The broker and Redis are shared with everyone on this machine: their CPU is context only.
const shared = { rabbitmq: pidsNamed('beam.smp'), redis: pidsNamed('redis-server') };

const redis = rawRedis();
const slowlog = new SlowLog(redis);
const restoreAndExit = () => {
  void slowlog.restore().finally(() => process.exit(130));
};
process.once('SIGINT', restoreAndExit);
process.once('SIGTERM', restoreAndExit);

const systems: SystemResult[] = [];
let wsFloor: ProcessMemory | undefined;
try {
  await slowlog.begin();
  const runs: [keyof typeof REDIS_CLIENT_NAMES, () => Promise<SystemResult>][] = [];
  if (config.BENCH_SYSTEMS.includes('relay')) runs.push(['relay', () => runRelay(config, shared)]);
  if (config.BENCH_SYSTEMS.includes('socketio'))
    runs.push(['socketio', () => runSio(config, shared)]);
  if (config.BENCH_SYSTEMS.includes('amqplib'))
    runs.push(['amqplib', () => runBaseline(config, shared)]);
  for (const [key, run] of runs) {
    const result = await run();
    systems.push(result);
    const ns = result.notes?.namespace;
    await slowlog.collect([
      {
        name: result.name,
        namespace: typeof ns === 'string' ? ns : undefined,
        clientPrefix: REDIS_CLIENT_NAMES[key],
      },
    ]);
  }
  // It collects its own SLOWLOG entries: what its connects cost, then what it measures.
  if (config.BENCH_SYSTEMS.includes('exam-size')) systems.push(await runExamSize(config, slowlog));
  // Its own Redis nodes (not the SLOWLOG's): last, so nothing else runs beside them.
  if (config.BENCH_SYSTEMS.includes('sentinel'))
    systems.push(...(await runSentinel(config, shared)));
  if (config.BENCH_SYSTEMS.includes('ws')) wsFloor = await runFloor(config);
} finally {
  await slowlog.restore();
  redis.disconnect();
}

const finished = new Date();
const slowest = slowlog.slowest();
const result = {
  startedAt: started.toISOString(),
  finishedAt: finished.toISOString(),
  durationSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
  host: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    loadavgBefore,
    loadavgAfter: loadavg(),
    node: process.version,
  },
  config,
  systems,
  wsFloor,
  slowlog: {
    thresholdMicros: slowlog.thresholdMicros,
    slowest,
    entries: slowlog.entries.length,
    over: slowlog.countsOver([1, 2, 5, 10]),
    top: slowlog.top(30),
  },
  table: buildTable(systems, wsFloor, slowest),
};
printTable(result);
console.log(`\nwrote ${writeResult(result)} (and latest.json) in ${result.durationSeconds} s`);
process.exit(0);
