import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClosedLoopResult, OpenLoopResult } from './load.js';
import type { ProcessMemory } from './role-probe.js';
import type { LatencySummary } from './stats.js';
import { round } from './stats.js';

export type CpuRecord = Record<string, { seconds: number; cores: number }>;

export interface SystemResult {
  name: string;
  closed: (ClosedLoopResult & { cpu: CpuRecord })[];
  open: (OpenLoopResult & { cpu: CpuRecord }) | undefined;
  memory?: Record<string, ProcessMemory>;
  /** Anything else worth keeping (frame counts, unexpected closes, queue depth). */
  notes?: Record<string, unknown>;
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  host: { cpus: number; loadavgBefore: number[]; loadavgAfter: number[]; node: string };
  config: Record<string, unknown>;
  systems: SystemResult[];
  /** exam-relay / baseline, for each comparable number. */
  ratios: Record<string, number | undefined>;
}

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

/** Writes `results/<ISO timestamp>.json` and `results/latest.json`; returns the first path. */
export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const path = `${RESULTS}${result.startedAt.replace(/:/g, '-')}.json`;
  writeFileSync(path, json);
  writeFileSync(`${RESULTS}latest.json`, json);
  return path;
}

type Row = [label: string, relay: number | undefined, baseline: number | undefined];

/** The comparable numbers of both systems, with labels, in table order. */
export function comparableRows(relay?: SystemResult, baseline?: SystemResult): Row[] {
  const rows: Row[] = [];
  const levels = new Set([
    ...(relay?.closed ?? []).map((c) => c.concurrency),
    ...(baseline?.closed ?? []).map((c) => c.concurrency),
  ]);
  for (const c of levels) {
    const r = relay?.closed.find((x) => x.concurrency === c);
    const b = baseline?.closed.find((x) => x.concurrency === c);
    rows.push([`closed c=${c}: changes/s`, r?.throughput, b?.throughput]);
    rows.push([`closed c=${c}: p50 ms (send→done)`, r?.latencyMs?.p50, b?.latencyMs?.p50]);
    rows.push([`closed c=${c}: p99 ms (send→done)`, r?.latencyMs?.p99, b?.latencyMs?.p99]);
    rows.push([
      `closed c=${c}: CPU ms/change (all)`,
      r && cpuPerChange(r.cpu, r.completedInPhase),
      b && cpuPerChange(b.cpu, b.completedInPhase),
    ]);
  }
  const ro = relay?.open;
  const bo = baseline?.open;
  if (ro || bo) {
    const rate = ro?.targetRate ?? bo?.targetRate;
    rows.push([`open ${rate}/s: sent/s`, ro?.sentRate, bo?.sentRate]);
    rows.push([`open ${rate}/s: completed/s`, ro?.completedRate, bo?.completedRate]);
    rows.push([`open ${rate}/s: incomplete`, ro?.incomplete.total, bo?.incomplete.total]);
    rows.push([
      `open ${rate}/s: CPU ms/change (all)`,
      ro && cpuPerChange(ro.cpu, ro.completed),
      bo && cpuPerChange(bo.cpu, bo.completed),
    ]);
    const lat = (label: string, r?: LatencySummary, b?: LatencySummary) => {
      for (const q of ['p50', 'p90', 'p99', 'max'] as const)
        rows.push([`open: ${label} ${q} ms`, r?.[q], b?.[q]]);
    };
    lat('send→deliver', ro?.deliverMs, bo?.deliverMs);
    // The baseline has no separate ack: its end of the line is the delivery.
    lat('send→ack', ro?.ackMs, bo?.deliverMs);
  }
  return rows;
}

/**
 * CPU milliseconds per completed change, summed over every measured process (the system's
 * own, the bench's, RabbitMQ's and Redis's) but not the machine total. Unlike throughput, it
 * hardly depends on how much of the machine other users take.
 */
export function cpuPerChange(cpu: CpuRecord, completed: number): number | undefined {
  if (completed === 0) return undefined;
  let seconds = 0;
  for (const [name, v] of Object.entries(cpu)) if (name !== 'machine') seconds += v.seconds;
  return round((seconds * 1000) / completed, 3);
}

export function ratios(rows: Row[]): Record<string, number | undefined> {
  return Object.fromEntries(
    rows.map(([label, r, b]) => [
      label,
      r !== undefined && b !== undefined && b !== 0 ? round(r / b, 2) : undefined,
    ]),
  );
}

export function printTable(result: BenchResult): void {
  const relay = result.systems.find((s) => s.name === 'exam-relay');
  const baseline = result.systems.find((s) => s.name === 'baseline');
  const rows = comparableRows(relay, baseline);
  const fmt = (v: number | undefined) => (v === undefined ? '-' : String(v));
  const table = [
    ['', 'exam-relay', 'baseline', 'ratio'],
    ...rows.map(([label, r, b]) => [label, fmt(r), fmt(b), fmt(result.ratios[label])]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)));
  console.log('');
  for (const row of table) console.log(line(row).join('  '));
  console.log(
    '(baseline send→ack = its send→final receive; ratio = exam-relay / baseline;\n' +
      ' CPU (all) = bench + system processes + RabbitMQ + Redis, which others may share)',
  );

  for (const system of result.systems) {
    console.log(`\nCPU, ${system.name} (cores busy; ms of CPU per completed change):`);
    const phases: [string, CpuRecord, number][] = system.closed.map((c) => [
      `closed c=${c.concurrency}`,
      c.cpu,
      c.completedInPhase,
    ]);
    if (system.open)
      phases.push([`open ${system.open.targetRate}/s`, system.open.cpu, system.open.completed]);
    for (const [label, cpu, completed] of phases) {
      const parts = Object.entries(cpu).map(
        ([name, v]) =>
          `${name} ${v.cores.toFixed(2)}` +
          (completed > 0 && name !== 'machine'
            ? ` (${((v.seconds * 1000) / completed).toFixed(3)})`
            : ''),
      );
      console.log(`  ${label.padEnd(14)} ${parts.join(', ')}`);
    }
  }

  if (relay?.memory) {
    const mib = (b: number | undefined) => (b === undefined ? '-' : (b / 2 ** 20).toFixed(1));
    const kib = (b: number | undefined) => (b === undefined ? '-' : (b / 1024).toFixed(1));
    console.log(
      '\nMemory, exam-relay (MiB at start / idle with N connections / after run;' +
        ' per connection = (idle − start) / N, after GC):',
    );
    for (const [name, m] of Object.entries(relay.memory)) {
      const row = (pick: (r: ProcessMemory['start']) => number | undefined) =>
        [m.start, m.idle, m.after].map((r) => mib(pick(r))).join(' / ');
      console.log(
        `  ${name.padEnd(13)} N=${String(m.connections).padEnd(4)} RSS ${row((r) => r.rssBytes)};` +
          ` RSS after GC ${row((r) => r.rssAfterGcBytes)} (${kib(m.rssPerConnection)} KiB/conn);` +
          ` heap after GC ${row((r) => r.heapAfterGcBytes)} (${kib(m.heapPerConnection)} KiB/conn)`,
      );
    }
  }
  console.log(`\nload average before ${result.host.loadavgBefore.map((l) => l.toFixed(2))}`);
}
