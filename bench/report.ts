import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClosedLoopResult, OpenLoopResult } from './load.js';
import type { CpuUse } from './proc.js';
import type { ProcessMemory } from './role-probe.js';
import type { ScaleResult } from './scale.js';
import type { SlowEntry } from './slowlog.js';
import type { ExamSizeNotes } from './run-exam-size.js';
import { round } from './stats.js';

/** The names the `sentinel` system's two runs report under. */
export const sentinelSystemName = (waitReplicas: number) =>
  `exam-relay, Sentinel, REDIS_WAIT_REPLICAS=${waitReplicas}`;

export type CpuRecord = Record<string, CpuUse>;

export interface SystemResult {
  name: string;
  closed: (ClosedLoopResult & { cpu: CpuRecord })[];
  open: (OpenLoopResult & { cpu: CpuRecord }) | undefined;
  /** Connect storm, idle memory, exam-wide change, failover storm (not the amqplib floor). */
  scale?: ScaleResult;
  /** Seq checks of the targeted load's deliveries. */
  integrity?: { targeted: { duplicated: number; reordered: number; gaps: number } };
  /** The `exam-size` system: one exam of BENCH_EXAM_SIZE examinees. */
  examSize?: ExamSizeNotes;
  /** Anything else worth keeping (frame counts, unexpected closes, queue depth). */
  notes?: Record<string, unknown>;
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  host: {
    cpus: number;
    model: string;
    loadavgBefore: number[];
    loadavgAfter: number[];
    node: string;
  };
  config: Record<string, unknown>;
  systems: SystemResult[];
  /** The bare ws server's memory with as many sockets as each exam-relay server holds. */
  wsFloor: ProcessMemory | undefined;
  /** Slowest Redis command per system (SLOWLOG, threshold in µs). */
  slowlog: {
    thresholdMicros: number;
    slowest: Record<string, SlowEntry>;
    entries: number;
    /** Per system, how many commands took over 1, 2, 5 and 10 ms. */
    over: Record<string, Record<string, number>>;
    top: SlowEntry[];
  };
  table: Row[];
}

/** One row of the summary: exam-relay, each peer, the ratio to the peer the target names. */
export interface Row {
  pattern: string;
  relay: number | undefined;
  socketio: number | undefined;
  amqplib: number | undefined;
  ws: number | undefined;
  /** exam-relay / the peer the target is stated against. */
  ratio: number | undefined;
  target: string;
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

/**
 * CPU milliseconds per completed change, summed over every measured process (the system's
 * own, the bench's, RabbitMQ's and Redis's) but not the machine total.
 */
export function cpuPerChange(cpu: CpuRecord, completed: number): number | undefined {
  if (completed === 0) return undefined;
  let seconds = 0;
  for (const [name, v] of Object.entries(cpu)) if (name !== 'machine') seconds += v.seconds;
  return round((seconds * 1000) / completed, 3);
}

type Peer = 'socketio' | 'amqplib' | 'ws';
type Pick = (s: SystemResult) => number | undefined;

/** Lost (incomplete, missed), duplicated and reordered counts of one system over all patterns. */
export function faults(s: SystemResult | undefined) {
  if (!s) return undefined;
  const closedLost = s.closed.reduce((n, c) => n + c.leftOpen + c.failed, 0);
  const openLost = s.open ? s.open.incomplete.total + s.open.failed : 0;
  const scale = s.scale;
  const t = s.integrity?.targeted;
  return {
    lost: closedLost + openLost + (scale ? scale.broadcast.missed + scale.failover.missed : 0),
    duplicated: (t?.duplicated ?? 0) + (scale?.integrity.duplicated ?? 0),
    reordered: (t?.reordered ?? 0) + (scale?.integrity.reordered ?? 0),
    gaps: (t?.gaps ?? 0) + (scale?.integrity.gaps ?? 0),
  };
}

export function buildTable(
  systems: SystemResult[],
  wsFloor: ProcessMemory | undefined,
  slowest: Record<string, SlowEntry>,
): Row[] {
  const by = (name: string) => systems.find((s) => s.name === name);
  // Without the relay system, the exam-size system's rows still fill exam-relay's column.
  const relay = by('exam-relay') ?? systems.find((s) => s.examSize !== undefined);
  const sio = by('socket.io');
  const floor = by('amqplib');
  const closed = (c: number) => (s: SystemResult) => s.closed.find((x) => x.concurrency === c);
  const kib = (b: number | undefined) => (b === undefined ? undefined : round(b / 1024, 1));
  const rows: Row[] = [];
  const row = (
    pattern: string,
    pick: Pick,
    peer: Peer | undefined,
    target: string,
    wsValue?: number,
  ) => {
    const v = (s: SystemResult | undefined) => (s ? pick(s) : undefined);
    const values = { relay: v(relay), socketio: v(sio), amqplib: v(floor), ws: wsValue };
    const base = peer ? values[peer] : undefined;
    rows.push({
      pattern,
      ...values,
      ratio:
        values.relay !== undefined && base !== undefined && base !== 0
          ? round(values.relay / base, 2)
          : undefined,
      target,
    });
  };
  const windows = relay?.closed.map((c) => c.concurrency) ?? sio?.closed.map((c) => c.concurrency);
  const big = Math.max(...(windows ?? [200]));
  row(
    `targeted, ${big} in flight: changes/s (acked and delivered)`,
    (s) => closed(big)(s)?.throughput,
    'socketio',
    '≥ 1.0× Socket.IO',
  );
  row('targeted, one at a time: changes/s', (s) => closed(1)(s)?.throughput, 'socketio', '—');
  row(
    'targeted, one at a time: p50 ms',
    (s) => closed(1)(s)?.latencyMs?.p50,
    'amqplib',
    '≤ 1.5× amqplib',
  );
  const rate = relay?.open?.targetRate ?? sio?.open?.targetRate ?? '';
  row(
    `open loop ${rate}/s: send→deliver p50 ms`,
    (s) => s.open?.deliverFromSendMs?.p50,
    'socketio',
    '—',
  );
  row(
    `open loop ${rate}/s: send→deliver p99 ms`,
    (s) => s.open?.deliverFromSendMs?.p99,
    'socketio',
    '≤ 3× Socket.IO',
  );
  const n = relay?.scale?.storm.examinees ?? sio?.scale?.storm.examinees ?? '';
  const batch = relay?.scale?.storm.batch ?? sio?.scale?.storm.batch ?? '';
  row(
    `connect storm, ${n} examinees in batches of ${batch}: connects/s`,
    (s) => s.scale?.storm.connectsPerSecond,
    'socketio',
    '≥ 1.0× Socket.IO',
  );
  const x = relay?.scale?.broadcast.examinees ?? sio?.scale?.broadcast.examinees ?? '';
  row(
    `exam-wide change to ${x} on 2 servers: send→last, median ms`,
    (s) => s.scale?.broadcast.medianMs,
    'socketio',
    '≤ 1.0× Socket.IO',
  );
  const memory = [
    { label: 'RSS', kind: 'rss', target: '≤ 1.5× bare ws' },
    { label: 'heap', kind: 'heap', target: '—' },
  ] as const;
  for (const { label, kind, target } of memory)
    row(
      `idle authenticated socket at ${n}/server: ${label} KiB`,
      (s) => kib(s.scale?.memory[`${kind}PerSocket`]),
      'ws',
      target,
      kib(wsFloor?.[`${kind}PerConnection`]),
    );
  const moved = relay?.scale?.failover.examinees ?? sio?.scale?.failover.examinees ?? '';
  row(
    `failover storm, ${moved} examinees: kill → all have the change, ms`,
    (s) => s.scale?.failover.allHaveMs,
    'socketio',
    '—',
  );
  row('failover storm: missed', (s) => s.scale?.failover.missed, undefined, '0');
  row('failover storm: duplicated', (s) => s.scale?.failover.duplicated, undefined, '0');
  row(
    `CPU per targeted change at ${big} in flight, all processes: ms`,
    (s) => {
      const c = closed(big)(s);
      return c && cpuPerChange(c.cpu, c.completedInPhase);
    },
    'amqplib',
    '—',
  );
  row(
    `Redis: waiting for a core at ${big} in flight, µs per change`,
    (s) => {
      const c = closed(big)(s);
      const wait = c?.cpu.redis?.waitSeconds;
      return c && wait !== undefined && c.completedInPhase > 0
        ? round((wait * 1e6) / c.completedInPhase, 1)
        : undefined;
    },
    undefined,
    '—',
  );
  const slow = (s: SystemResult) => {
    const e = slowest[s.name];
    return e ? round(e.durationMicros / 1000, 2) : 0;
  };
  row('Redis: slowest command ms (SLOWLOG)', slow, undefined, '≤ 5 ms');
  // The exam-size system's figures, in exam-relay's column.
  const sized = systems.find((s) => s.examSize !== undefined);
  const size = sized?.examSize;
  const ofSize = (pick: (n: ExamSizeNotes) => number | undefined) => (s: SystemResult) =>
    s === relay && size ? pick(size) : undefined;
  if (sized && size) {
    const exam = `exam of ${size.examinees.toLocaleString('en-US')}`;
    row(
      `${exam}, connected: slowest Redis command ms (SLOWLOG)`,
      ofSize(() => slow(sized)),
      undefined,
      '≤ 5 ms',
    );
    row(
      `${exam}: a supervisor's hello→snapshot (${size.snapshotListed ?? '–'} listed) ms`,
      ofSize((n) => n.snapshotMs),
      undefined,
      '—',
    );
    row(
      `${exam}: exam-wide change to ${size.online.toLocaleString('en-US')} online, send→last ms`,
      ofSize((n) => n.examWideMs),
      undefined,
      '—',
    );
  }
  const lost = (s: SystemResult, kind: 'lost' | 'duplicated' | 'reordered' | 'gaps') => {
    const own = faults(s)?.[kind];
    if (own === undefined || s !== relay || !sized || !size) return own;
    const more = sized === relay ? 0 : (faults(sized)?.[kind] ?? 0);
    return own + more + (kind === 'lost' ? size.missed : 0);
  };
  for (const kind of ['lost', 'duplicated', 'reordered', 'gaps'] as const)
    row(`all patterns: ${kind}`, (s) => lost(s, kind), undefined, '0');
  rows.push(...sentinelRows(systems));
  return rows;
}

/**
 * The cost of REDIS_WAIT_REPLICAS (the `sentinel` system): targeted throughput and latency on
 * Redis through Sentinel with 0 and 1, in the exam-relay column; ratio = WAIT 1 / WAIT 0.
 */
function sentinelRows(systems: SystemResult[]): Row[] {
  const [none, one] = [0, 1].map((n) => systems.find((s) => s.name === sentinelSystemName(n)));
  if (!none || !one) return [];
  const empty = { socketio: undefined, amqplib: undefined, ws: undefined };
  const rows: Row[] = [];
  const pair = (label: string, pick: Pick) => {
    const [a, b] = [pick(none), pick(one)];
    rows.push({
      pattern: `${label}, REDIS_WAIT_REPLICAS=0`,
      relay: a,
      ...empty,
      ratio: undefined,
      target: '—',
    });
    rows.push({
      pattern: `${label}, REDIS_WAIT_REPLICAS=1`,
      relay: b,
      ...empty,
      ratio: a !== undefined && b !== undefined && a !== 0 ? round(b / a, 2) : undefined,
      target: '— (ratio: vs WAIT 0)',
    });
  };
  for (const c of none.closed.map((x) => x.concurrency).sort((x, y) => y - x)) {
    const at = (s: SystemResult) => s.closed.find((x) => x.concurrency === c);
    pair(`Sentinel: targeted, ${c} in flight: changes/s`, (s) => at(s)?.throughput);
    pair(`Sentinel: targeted, ${c} in flight: p50 ms`, (s) => at(s)?.latencyMs?.p50);
  }
  const lost = (s: SystemResult) => faults(s);
  for (const kind of ['lost', 'duplicated', 'reordered', 'gaps'] as const) {
    rows.push({
      pattern: `Sentinel runs: ${kind}`,
      relay: (lost(none)?.[kind] ?? 0) + (lost(one)?.[kind] ?? 0),
      ...empty,
      ratio: undefined,
      target: '0',
    });
  }
  return rows;
}

export function printTable(result: BenchResult): void {
  const fmt = (v: number | undefined) => (v === undefined ? '–' : v.toLocaleString('en-US'));
  const lines = [
    ['pattern', 'exam-relay', 'Socket.IO', 'raw amqplib', 'bare ws', 'ratio', 'target'],
    ...result.table.map((r) => [
      r.pattern,
      fmt(r.relay),
      fmt(r.socketio),
      fmt(r.amqplib),
      fmt(r.ws),
      r.ratio === undefined ? '–' : `${r.ratio}×`,
      r.target,
    ]),
  ];
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? [];
  const cells = (l: string[]) =>
    `| ${l.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log('');
  const [head, ...body] = lines;
  if (head) console.log(cells(head));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const l of body) console.log(cells(l));
  console.log(
    '(ratio = exam-relay / the peer its target names; CPU = system processes + bench + Redis' +
      ' (+ RabbitMQ for exam-relay and amqplib), which other users of the machine may share)',
  );
  const slow = Object.entries(result.slowlog.slowest);
  console.log(`\nRedis SLOWLOG (commands over ${result.slowlog.thresholdMicros} µs):`);
  if (slow.length === 0) console.log('  none');
  for (const [system, e] of slow) {
    const over = Object.entries(result.slowlog.over[system] ?? {})
      .map(([limit, n]) => `${n} over ${limit}`)
      .join(', ');
    console.log(`  ${system}: ${(e.durationMicros / 1000).toFixed(2)} ms  ${e.command}`);
    console.log(`    ${over}`);
  }
  console.log(
    `\nload average before ${result.host.loadavgBefore.map((l) => l.toFixed(2))}, after` +
      ` ${result.host.loadavgAfter.map((l) => l.toFixed(2))}; ${result.host.cpus} × ${result.host.model}`,
  );
}
