// `npm run bench`: exam-relay end to end versus a raw amqplib baseline of the same two broker
// hops and one Redis write. Needs RabbitMQ and Redis (AMQP_URL, REDIS_URL; localhost defaults)
// and a built dist/ (`npm run bench` builds first). Knobs: BENCH_* in bench/config.ts.
// Prints a table and writes bench/results/<ISO timestamp>.json and bench/results/latest.json.
// It measures; it asserts nothing about timing.
import { cpus, loadavg } from 'node:os';
import { loadBenchConfig } from './config.js';
import { pidsNamed } from './proc.js';
import { comparableRows, printTable, ratios, writeResult, type SystemResult } from './report.js';
import { runBaseline } from './run-baseline.js';
import { runRelay } from './run-relay.js';

const config = loadBenchConfig(process.env);
const started = new Date();
const loadavgBefore = loadavg();
// The broker and Redis are shared with everyone on this machine: their CPU is context only.
const shared = { rabbitmq: pidsNamed('beam.smp'), redis: pidsNamed('redis-server') };

const systems: SystemResult[] = [];
if (config.BENCH_SYSTEMS.includes('relay')) systems.push(await runRelay(config, shared));
if (config.BENCH_SYSTEMS.includes('baseline')) systems.push(await runBaseline(config, shared));

const finished = new Date();
const rows = comparableRows(
  systems.find((s) => s.name === 'exam-relay'),
  systems.find((s) => s.name === 'baseline'),
);
const result = {
  startedAt: started.toISOString(),
  finishedAt: finished.toISOString(),
  durationSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
  host: {
    cpus: cpus().length,
    loadavgBefore,
    loadavgAfter: loadavg(),
    node: process.version,
  },
  config,
  systems,
  ratios: ratios(rows),
};
printTable(result);
console.log(`\nwrote ${writeResult(result)} (and latest.json) in ${result.durationSeconds} s`);
