import type { TestClient, Frame } from './ws-client.js';

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
