import type { BenchConfig } from './config.js';
import type { FleetClient } from './fleet.js';
import { RelayCluster } from './relay-cluster.js';
import { RelayFleet } from './relay-fleet.js';
import type { SystemResult } from './report.js';
import type { SlowLog } from './slowlog.js';
import { round, sleep } from './stats.js';

/** The exam-relay connections' Redis client names start so (src/shared/redis/client.ts). */
const RELAY_CLIENTS = 'exam-relay:';
const EXAM = 'EXAM20K';
const BATCH = 500;
/** The name of this system in the SLOWLOG and the report. */
export const EXAM_SIZE_SYSTEM = 'exam-relay, one exam at size';

/** What `runExamSize` found, in the result's `notes`. */
export interface ExamSizeNotes {
  /** Examinees of the exam: joined at some point. */
  examinees: number;
  /** Of them, connected while the exam was measured. */
  online: number;
  /** The supervisor's hello → its snapshot frame (every examinee read), ms. */
  snapshotMs: number | undefined;
  snapshotListed: number | undefined;
  /** Send → every online examinee has the exam-wide change, ms. */
  examWideMs: number | undefined;
  /** Online examinees without the change when the wait gave up (0 expected). */
  missed: number;
  /** Sockets the servers closed (0 expected). */
  unexpectedCloses: number;
}

/**
 * Issue 9's "no single Redis command over 5 ms at any exam size up to 20,000": exam-relay (a
 * state manager, serverA, serverB) with one exam of `BENCH_EXAM_SIZE` examinees, a tenth of
 * whom joined and left and the rest stay, half on each server. Their connects are collected
 * from the SLOWLOG first, under their own name; then, with the exam connected and nothing
 * else running, what grows with the exam runs and is what this system's SLOWLOG shows: a
 * supervisor joins (its snapshot reads the exam's members), one exam-wide change reaches every
 * online examinee, and each server's heartbeat is reconciled against its thousands of
 * connections and broadcast in `sync_state`.
 */
export async function runExamSize(config: BenchConfig, slowlog: SlowLog): Promise<SystemResult> {
  const size = config.BENCH_EXAM_SIZE;
  const cluster = new RelayCluster();
  const fleet = new RelayFleet();
  const clients: FleetClient[] = [];
  const arrived = new Set<string>();
  let lastArrival = 0;
  let unexpectedCloses = 0;
  const hooks = {
    change: (clientId: string, id: string, at: number) => {
      if (id !== 'size-wide') return;
      arrived.add(clientId);
      lastArrival = Math.max(lastArrival, at);
    },
    welcome: () => undefined,
    closed: () => {
      unexpectedCloses += 1;
    },
  };
  const ids = Array.from({ length: size }, (_, i) => `E${String(i).padStart(5, '0')}`);
  const gone = Math.floor(size / 10);
  const online = ids.slice(gone);
  const connect = async (batch: string[]) =>
    Promise.all(
      batch.map((id, i) =>
        fleet.examinee(cluster.port(i % 2 === 0 ? 'serverA' : 'serverB'), id, EXAM, hooks),
      ),
    );
  const system = { namespace: cluster.namespace, clientPrefix: RELAY_CLIENTS };
  try {
    console.log(`${EXAM_SIZE_SYSTEM}: ${size} examinees (${gone} joined and left)`);
    await cluster.start(['serverA', 'serverB']);
    for (let i = 0; i < gone; i += BATCH) {
      for (const c of await connect(ids.slice(i, i + BATCH))) await c.close();
    }
    for (let i = 0; i < online.length; i += BATCH) {
      clients.push(...(await connect(online.slice(i, i + BATCH))));
    }
    await cluster.settle();
    await slowlog.collect([{ name: `exam-relay, ${size} joining`, ...system }]);

    const joinedAt = performance.now();
    let snapshot: { listed: number; at: number } | undefined;
    const supervisor = await fleet.supervisor(
      cluster.port('serverB'),
      'S20K',
      EXAM,
      (listed, at) => (snapshot = { listed, at }),
    );
    clients.push(supervisor);
    for (const deadline = Date.now() + 30_000; !snapshot && Date.now() < deadline;) await sleep(20);
    const snapshotMs = snapshot && round(snapshot.at - joinedAt, 1);

    const sentAt = performance.now();
    await supervisor.change('size-wide', { examId: EXAM, status: 'PAUSED' });
    for (const deadline = Date.now() + 60_000; arrived.size < online.length;) {
      if (Date.now() > deadline) break;
      await sleep(20);
    }
    const examWideMs = arrived.size === online.length ? round(lastArrival - sentAt, 1) : undefined;
    // A heartbeat of each server (HEARTBEAT_INTERVAL_MS, 5 s) reconciles its connections.
    await sleep(6000);
    await cluster.settle();
    await slowlog.collect([{ name: EXAM_SIZE_SYSTEM, ...system }]);
    const examSize: ExamSizeNotes = {
      examinees: size,
      online: online.length,
      snapshotMs,
      snapshotListed: snapshot?.listed,
      examWideMs,
      missed: online.length - arrived.size,
      unexpectedCloses,
    };
    console.log(
      `  snapshot of ${snapshot?.listed ?? '-'} listed in ${snapshotMs ?? '-'} ms; exam-wide change to` +
        ` ${arrived.size} of ${online.length} online in ${examWideMs ?? '-'} ms`,
    );
    return {
      name: EXAM_SIZE_SYSTEM,
      closed: [],
      open: undefined,
      // The field the report's "all patterns" fault counts read for a system.
      integrity: {
        targeted: {
          duplicated: fleet.integrity.duplicated,
          reordered: fleet.integrity.reordered,
          gaps: fleet.integrity.gaps,
        },
      },
      examSize,
      notes: { namespace: cluster.namespace },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
  }
}
