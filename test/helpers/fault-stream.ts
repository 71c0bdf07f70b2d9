import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { Cluster } from './cluster.js';
import { routed } from './env.js';
import { sleep } from './eventually.js';
import { TestClient, type Frame } from './ws-client.js';

const STATUSES = ['STARTED', 'PAUSED', 'RESUMED'] as const;

export interface StreamResult {
  /** Every request id sent, in order. */
  ids: string[];
  /** Ids whose ack arrived. */
  acked: Set<string>;
  /** The status each id asked for. */
  statusOf: Map<string, string>;
  /** Times a request was sent again with the same id (UNAVAILABLE or no ack in time). */
  retries: number;
  /** Names of the strikes that ran, in order. */
  struck: string[];
}

/** A fault to run once, when `atAcked` changes have been acked. */
export interface Strike {
  name: string;
  atAcked: number;
  run(): void;
}

/**
 * A supervisor streams `count` targeted status changes with at most `window` in flight,
 * retrying with the same id on UNAVAILABLE or when no ack comes within `ackTimeoutMs`, as a
 * real client does. Each of `strikes` runs once, mid-stream, when its ack count is reached.
 */
export async function streamChanges(
  supervisor: TestClient,
  options: {
    count: number;
    targetExamineeId: string;
    prefix: string;
    window?: number;
    ackTimeoutMs?: number;
    deadlineMs?: number;
    strikes?: Strike[];
  },
): Promise<StreamResult> {
  const { count, targetExamineeId, prefix, window = 16, ackTimeoutMs = 4000 } = options;
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const statusOf = new Map(ids.map((id, i) => [id, STATUSES[i % STATUSES.length] as string]));
  const acked = new Set<string>();
  const sentAt = new Map<string, number>();
  let next = 0;
  let retries = 0;
  const struck: string[] = [];
  let seen = 0;

  const send = (id: string) => {
    sentAt.set(id, Date.now());
    supervisor.send({
      type: 'status_change',
      id,
      data: { targetExamineeId, status: statusOf.get(id) },
    });
  };

  while (acked.size < count) {
    if (Date.now() > deadline) throw new Error(`stream stalled: ${acked.size}/${count} acked`);
    for (; seen < supervisor.frames.length; seen++) {
      const f = supervisor.frames[seen] as Frame;
      const id = typeof f.id === 'string' ? f.id : undefined;
      if (!id || !sentAt.has(id)) continue;
      if (f.type === 'ack' && !acked.has(id)) {
        acked.add(id);
        for (const strike of options.strikes ?? []) {
          if (acked.size >= strike.atAcked && !struck.includes(strike.name)) {
            struck.push(strike.name);
            strike.run();
          }
        }
      } else if (f.type === 'error' && !acked.has(id)) {
        if (f.code !== 'UNAVAILABLE' && f.code !== 'RATE_LIMITED') {
          throw new Error(`request ${id} refused: ${JSON.stringify(f)}`);
        }
        sentAt.set(id, 0); // retry soon
      }
    }
    const now = Date.now();
    for (const [id, at] of sentAt) {
      if (!acked.has(id) && now - at > (at === 0 ? 200 : ackTimeoutMs)) {
        retries += 1;
        if (supervisor.ws.readyState === supervisor.ws.OPEN) send(id);
      }
    }
    while (next < count && sentAt.size - acked.size < window) send(ids[next++] as string);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { ids, acked, statusOf, retries, struck };
}

/**
 * The stream of a fault test: the supervisor streams `count` changes to E001 (the examinee of
 * `streamParticipants`) with `strikes`, and every strike must have run, in order.
 */
export async function streamStrikes(
  supervisor: TestClient,
  strikes: Strike[],
  options: Omit<Parameters<typeof streamChanges>[1], 'targetExamineeId' | 'strikes'>,
): Promise<StreamResult> {
  const stream = await streamChanges(supervisor, { ...options, targetExamineeId: 'E001', strikes });
  expect(stream.struck).to.deep.equal(strikes.map((s) => s.name));
  return stream;
}

export interface Verdict {
  deliveredOnce: number;
  lost: string[];
  duplicated: string[];
  outOfOrder: number;
  /** The status of the frame with the highest seq (what the examinee last saw). */
  lastStatus: string | undefined;
}

/** Classifies every acked id by what the examinee received. */
export function classify(frames: Frame[], stream: StreamResult): Verdict {
  const changes = frames.filter(
    (f) => f.type === 'status_change' && stream.statusOf.has(String(f.id)),
  );
  const counts = new Map<string, number>();
  let outOfOrder = 0;
  let prev: number | undefined;
  for (const f of frames.filter((x) => x.type === 'status_change')) {
    const seq = Number(f.seq);
    if (prev !== undefined && seq !== prev + 1) outOfOrder += 1;
    prev = seq;
  }
  for (const f of changes) counts.set(String(f.id), (counts.get(String(f.id)) ?? 0) + 1);
  const last = changes.at(-1);
  return {
    deliveredOnce: [...stream.acked].filter((id) => counts.get(id) === 1).length,
    lost: [...stream.acked].filter((id) => !counts.has(id)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    outOfOrder,
    lastStatus: (last?.data as { status?: string } | undefined)?.status,
  };
}

/** One line per fault for the test output. */
export function report(fault: string, stream: StreamResult, v: Verdict): void {
  console.log(
    `      [${fault}] sent ${stream.ids.length}, acked ${stream.acked.size}, delivered once ${v.deliveredOnce}, ` +
      `lost ${v.lost.length}, duplicated ${v.duplicated.length}, out of order ${v.outOfOrder}, retries ${stream.retries}`,
  );
}

/**
 * The two ends of a fault stream: examinee E001 on serverA and supervisor S001 on serverB,
 * pushed to `clients` for closing, returned once E001 is routed to serverA.
 */
export async function streamParticipants(
  cluster: Cluster,
  redis: Redis,
  clients: TestClient[],
): Promise<{ examinee: TestClient; supervisor: TestClient }> {
  const examinee = await TestClient.login(
    cluster.port('serverA'),
    await cluster.token('E001', 'examinee'),
  );
  const supervisor = await TestClient.login(
    cluster.port('serverB'),
    await cluster.token('S001', 'supervisor'),
  );
  clients.push(examinee, supervisor);
  await routed(redis, cluster.namespace, 'E001', 'serverA');
  return { examinee, supervisor };
}

/**
 * Waits up to 30 s for every acked change of `stream` to reach `frames` (read again while
 * waiting, so late deliveries count) and 300 ms more for duplicates, then classifies what
 * arrived and prints the counts under `fault`.
 */
export async function settledVerdict(
  fault: string,
  frames: () => Frame[],
  stream: StreamResult,
): Promise<Verdict> {
  const mine = (f: Frame) => f.type === 'status_change' && stream.statusOf.has(String(f.id));
  const deadline = Date.now() + 30_000;
  while (frames().filter(mine).length < stream.acked.size && Date.now() < deadline) {
    await sleep(50);
  }
  await sleep(300); // anything duplicated would arrive now
  const verdict = classify(frames(), stream);
  report(fault, stream, verdict);
  return verdict;
}

/**
 * The check a stream fault suite makes after each stream: once it settled (`settledVerdict`),
 * every change sent was acked, every acked id reached E001 exactly once and in seq order, and
 * Redis holds the status E001 saw last. `at` gives the suite's raw Redis and the namespace of
 * the running test's cluster, read when the check runs.
 */
export function nothingLostCheck(at: () => { redis: Redis; namespace: string }) {
  return async (fault: string, frames: () => Frame[], stream: StreamResult): Promise<void> => {
    const { redis, namespace } = at();
    const verdict = await settledVerdict(fault, frames, stream);
    expect(stream.acked.size).to.equal(stream.ids.length);
    expect(verdict.lost, 'lost').to.deep.equal([]);
    expect(verdict.duplicated, 'duplicated').to.deep.equal([]);
    expect(verdict.outOfOrder, 'out of order').to.equal(0);
    expect(verdict.deliveredOnce).to.equal(stream.ids.length);
    const stored = await redis.hget(`${namespace}:examinee:E001:status`, 'status');
    expect(stored, 'stored status').to.equal(verdict.lastStatus);
  };
}
