import type { BenchConfig } from './config.js';
import type { ClientHooks, Fleet, FleetClient, Integrity, WelcomeStatus } from './fleet.js';
import { summarizeMemory, type MemoryReading, type ProcessMemory } from './role-probe.js';
import { round, sleep } from './stats.js';

/** Two socket servers of one system, as the scale scenarios need them. */
export interface ScaleSystem {
  fleet: Fleet;
  /** The two servers: the first is SIGKILLed by the failover storm. */
  servers: [ScaleServer, ScaleServer];
  /** Waits until the work caused by the last connects or closes is done (queues drained). */
  settle(): Promise<void>;
  /** Memory of each named process (RSS, and heap after a full GC). */
  readMemory(): Promise<Record<string, MemoryReading>>;
}

export interface ScaleServer {
  name: string;
  port: number;
  kill(): void;
}

export interface ScaleResult {
  storm: {
    examinees: number;
    batch: number;
    /** Connects per second onto the first server: all welcomed, batch after batch. */
    connectsPerSecond: number;
    seconds: number;
    /** The same onto the second server, whose memory is read too. */
    secondConnectsPerSecond: number;
    failed: number;
  };
  memory: {
    perServer: Record<string, ProcessMemory>;
    /** Mean over both servers, bytes per socket after GC. */
    rssPerSocket: number | undefined;
    heapPerSocket: number | undefined;
  };
  broadcast: {
    examinees: number;
    /** Send → last examinee has it, per round, ms. */
    roundsMs: number[];
    medianMs: number | undefined;
    ackMs: number[];
    missed: number;
  };
  failover: {
    examinees: number;
    /** SIGKILL → every examinee of the exam has the change made right after the kill, ms. */
    allHaveMs: number | undefined;
    /** How they got it: a `status_change` frame (live or replayed), or only the welcome. */
    byFrame: number;
    byWelcomeOnly: number;
    missed: number;
    duplicated: number;
    reconnects: number;
    reconnectFailures: number;
  };
  integrity: Integrity;
  /** Closes nobody asked for outside the failover storm. */
  unexpectedCloses: number;
}

/** Routes the events of every client to whichever phase is listening. */
class Hub implements ClientHooks {
  onChange: (clientId: string, id: string, at: number) => void = () => undefined;
  onWelcome: (clientId: string, status: WelcomeStatus | null, at: number) => void = () => undefined;
  onClosed: (clientId: string) => void = () => {
    this.unexpected += 1;
  };
  unexpected = 0;
  change(clientId: string, id: string, at: number): void {
    this.onChange(clientId, id, at);
  }
  welcome(clientId: string, status: WelcomeStatus | null, at: number): void {
    this.onWelcome(clientId, status, at);
  }
  closed(clientId: string): void {
    this.onClosed(clientId);
  }
}

interface Examinee {
  id: string;
  exam: string;
  client: FleetClient;
}

const EXAM_X = 'EXAMX';
const EXAM_Y = 'EXAMY';

/**
 * The scale patterns of issue 9 on one system, in this order: a supervisor of exam X joins;
 * connect storm (N examinees onto each server in batches, alternately of exam X and Y); idle
 * memory per socket; exam-wide changes to exam X (N examinees, half on each server); then exam
 * Y leaves the first server and the failover storm kills it: its N/2 examinees reconnect to the
 * second with `resume`, while the supervisor changes the exam's status right after the kill.
 */
export async function runScale(system: ScaleSystem, config: BenchConfig): Promise<ScaleResult> {
  const { fleet } = system;
  const [first, second] = system.servers;
  const n = config.BENCH_STORM_EXAMINEES;
  const batch = config.BENCH_STORM_BATCH;
  const run = Date.now().toString(36);
  const hub = new Hub();
  const all: FleetClient[] = [];
  try {
    const supervisor = await fleet.supervisor(second.port, 'SX001', EXAM_X);
    all.push(supervisor);
    await system.settle();
    const start = await system.readMemory();

    console.log(`  ${fleet.name}: connect storm, ${n} examinees onto each server`);
    let failed = 0;
    const storm = async (server: ScaleServer, prefix: string) => {
      const out: Examinee[] = [];
      const began = performance.now();
      for (let i = 0; i < n; i += batch) {
        const ids = Array.from({ length: Math.min(batch, n - i) }, (_, j) => i + j);
        const settled = await Promise.allSettled(
          ids.map(async (k) => {
            const id = `${prefix}${String(k).padStart(5, '0')}`;
            const exam = k % 2 === 0 ? EXAM_X : EXAM_Y;
            return { id, exam, client: await fleet.examinee(server.port, id, exam, hub) };
          }),
        );
        for (const s of settled) {
          if (s.status === 'fulfilled') out.push(s.value);
          else failed += 1;
        }
      }
      const seconds = (performance.now() - began) / 1000;
      all.push(...out.map((e) => e.client));
      return { out, seconds };
    };
    const onFirst = await storm(first, 'EA');
    const onSecond = await storm(second, 'EB');
    await system.settle();
    await sleep(1000);
    const idle = await system.readMemory();
    const perServer: Record<string, ProcessMemory> = {};
    for (const server of [first, second]) {
      const s = start[server.name];
      const i = idle[server.name];
      if (s && i) perServer[server.name] = summarizeMemory({ start: s, idle: i, after: i }, n);
    }
    const mean = (pick: (m: ProcessMemory) => number | undefined) => {
      const values = Object.values(perServer)
        .map(pick)
        .filter((v): v is number => v !== undefined);
      return values.length
        ? Math.round(values.reduce((a, b) => a + b, 0) / values.length)
        : undefined;
    };

    const examX = [...onFirst.out, ...onSecond.out].filter((e) => e.exam === EXAM_X);
    console.log(`  ${fleet.name}: exam-wide changes to ${examX.length} examinees`);
    const broadcast = await broadcastRounds(
      hub,
      supervisor,
      examX,
      config.BENCH_BROADCAST_ROUNDS,
      run,
    );

    // Only exam X stays on the first server: its examinees are the failover storm.
    const leaving = onFirst.out.filter((e) => e.exam === EXAM_Y);
    await Promise.all(leaving.map((e) => e.client.close()));
    await system.settle();
    await sleep(500);
    console.log(`  ${fleet.name}: failover storm, SIGKILL ${first.name}`);
    const failover = await failoverStorm(hub, system, supervisor, examX, onFirst.out, config, run);
    all.push(...failover.clients);

    return {
      storm: {
        examinees: n,
        batch,
        connectsPerSecond: round(onFirst.out.length / onFirst.seconds, 1),
        seconds: round(onFirst.seconds, 2),
        secondConnectsPerSecond: round(onSecond.out.length / onSecond.seconds, 1),
        failed,
      },
      memory: {
        perServer,
        rssPerSocket: mean((m) => m.rssPerConnection),
        heapPerSocket: mean((m) => m.heapPerConnection),
      },
      broadcast,
      failover: failover.result,
      integrity: { ...fleet.integrity },
      unexpectedCloses: hub.unexpected,
    };
  } finally {
    hub.onClosed = () => undefined;
    await Promise.allSettled(all.map((c) => c.close()));
  }
}

async function broadcastRounds(
  hub: Hub,
  supervisor: Awaited<ReturnType<Fleet['supervisor']>>,
  examinees: Examinee[],
  rounds: number,
  run: string,
): Promise<ScaleResult['broadcast']> {
  const expected = new Set(examinees.map((e) => e.id));
  const roundsMs: number[] = [];
  const ackMs: number[] = [];
  let missed = 0;
  for (let r = 0; r < rounds; r++) {
    const id = `bx-${run}-${r}`;
    const got = new Map<string, number>();
    hub.onChange = (clientId, changeId, at) => {
      if (changeId === id && expected.has(clientId) && !got.has(clientId)) got.set(clientId, at);
    };
    const sent = performance.now();
    const acked = await supervisor.change(id, {
      examId: EXAM_X,
      status: r % 2 === 0 ? 'STARTED' : 'RESUMED',
    });
    ackMs.push(round(acked - sent));
    const deadline = performance.now() + 20_000;
    while (got.size < expected.size && performance.now() < deadline) await sleep(5);
    missed += expected.size - got.size;
    if (got.size > 0) roundsMs.push(round(Math.max(...got.values()) - sent));
    await sleep(300);
  }
  hub.onChange = () => undefined;
  const sorted = [...roundsMs].sort((a, b) => a - b);
  return {
    examinees: expected.size,
    roundsMs,
    medianMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : undefined,
    ackMs,
    missed,
  };
}

async function failoverStorm(
  hub: Hub,
  system: ScaleSystem,
  supervisor: Awaited<ReturnType<Fleet['supervisor']>>,
  examX: Examinee[],
  onFirst: Examinee[],
  config: BenchConfig,
  run: string,
): Promise<{ result: ScaleResult['failover']; clients: FleetClient[] }> {
  const [first, second] = system.servers;
  const moving = new Set(onFirst.filter((e) => e.exam === EXAM_X).map((e) => e.id));
  const expected = new Set(examX.map((e) => e.id));
  const id = `fx-${run}`;
  const byFrame = new Map<string, number>();
  const byWelcome = new Map<string, number>();
  let duplicated = 0;
  let reconnects = 0;
  let reconnectFailures = 0;
  const clients: FleetClient[] = [];
  const deadline = performance.now() + config.BENCH_FAILOVER_SECONDS * 1000;

  hub.onChange = (clientId, changeId, at) => {
    if (changeId !== id || !expected.has(clientId)) return;
    if (byFrame.has(clientId)) duplicated += 1;
    else byFrame.set(clientId, at);
  };
  hub.onWelcome = (clientId, status, at) => {
    // The change after the kill is the exam's only PAUSED (the rounds before were STARTED and
    // RESUMED); the Socket.IO peer also names its id.
    if (status?.status !== 'PAUSED' || (status.id !== undefined && status.id !== id)) return;
    if (expected.has(clientId) && !byWelcome.has(clientId)) byWelcome.set(clientId, at);
  };
  // Each examinee of the killed server reconnects to the other after a random 0-1 s, as
  // clients behind a load balancer would, retrying every 250 ms until the storm's deadline.
  const reconnect = async (clientId: string) => {
    await sleep(Math.random() * 1000);
    while (performance.now() < deadline) {
      try {
        clients.push(
          await system.fleet.examinee(second.port, clientId, EXAM_X, hub, { resume: true }),
        );
        reconnects += 1;
        return;
      } catch {
        reconnectFailures += 1;
        await sleep(250);
      }
    }
  };
  const reconnecting: Promise<void>[] = [];
  hub.onClosed = (clientId) => {
    if (moving.has(clientId)) reconnecting.push(reconnect(clientId));
    else hub.unexpected += 1;
  };

  const killedAt = performance.now();
  first.kill();
  await supervisor.change(id, { examId: EXAM_X, status: 'PAUSED' }).catch((err: unknown) => {
    console.warn(`  failover change not acked: ${String(err)}`);
  });
  const has = () => {
    let count = 0;
    for (const e of expected) if (byFrame.has(e) || byWelcome.has(e)) count += 1;
    return count;
  };
  while (has() < expected.size && performance.now() < deadline) await sleep(10);
  await Promise.allSettled(reconnecting);
  // A duplicate can come after everyone has it: give late frames a moment.
  await sleep(1000);
  hub.onChange = () => undefined;
  hub.onWelcome = () => undefined;
  const times = [...expected].map((e) =>
    Math.min(byFrame.get(e) ?? Infinity, byWelcome.get(e) ?? Infinity),
  );
  const done = times.filter((t) => Number.isFinite(t));
  return {
    clients,
    result: {
      examinees: moving.size,
      allHaveMs: done.length === expected.size ? round(Math.max(...done) - killedAt) : undefined,
      byFrame: byFrame.size,
      byWelcomeOnly: [...byWelcome.keys()].filter((e) => !byFrame.has(e)).length,
      missed: expected.size - done.length,
      duplicated,
      reconnects,
      reconnectFailures,
    },
  };
}
