// Fault tests on a 3-node RabbitMQ cluster (issue 10): a supervisor streams 1,000 targeted
// changes while (a) the node leading status_queue is stopped and started again, (b) the node
// serverA is connected to is stopped. Every acked change must reach the examinee once, in seq
// order; Redis must hold the examinee's last status; the DLQ must stay empty; afterwards
// status_queue and the DLQ have a leader and all 3 members online.
//
// Needs rabbitmq-server 3.10+ installed and root (or the rabbitmq user): the suite starts its
// own cluster with scripts/rabbitmq-cluster.sh (nodes relay1..3@localhost, AMQP 5701-5703,
// management 15701-15703) beside the machine's node, which it never touches, and removes it
// afterwards. Needs Redis and a built dist/. Run by `npm run test:faults`.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { Cluster } from '../../helpers/cluster.js';
import { dlqDepth, rawRedis } from '../../helpers/env.js';
import { sleep } from '../../helpers/eventually.js';
import { ROOT } from '../../helpers/processes.js';
import type { TestClient, Frame } from '../../helpers/ws-client.js';
import {
  nothingLostCheck,
  streamParticipants,
  streamStrikes,
  type Strike,
  type StreamResult,
} from '../../helpers/fault-stream.js';

const run = promisify(execFile);
const SCRIPT = `${ROOT}scripts/rabbitmq-cluster.sh`;
const NODES = [1, 2, 3] as const;
const amqpPort = (n: number) => 5700 + n;
const nodeName = (n: number) => `relay${n}@localhost`;
const AMQP_URLS = NODES.map((n) => `amqp://guest:guest@127.0.0.1:${amqpPort(n)}`);
const COUNT = 1000;
const ENV = {
  AMQP_URL: AMQP_URLS.join(','),
  RABBITMQ_MANAGEMENT_URL: 'http://guest:guest@127.0.0.1:15701',
  // The supervisor streams far faster than a person; lift the per-connection rate limit.
  RATE_LIMIT_PER_SECOND: '5000',
  RATE_LIMIT_BURST: '5000',
};

/** Runs scripts/rabbitmq-cluster.sh; its output goes to the test log on failure. */
async function clusterScript(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(SCRIPT, args, { timeout: 240_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `rabbitmq-cluster.sh ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`,
    );
  }
}

interface QueuePlacement {
  name: string;
  leader: string;
  members: string[];
  online: string[];
}

/** Where the quorum queues are, asked of a running node (not `stopped`). */
async function placements(stopped: number[] = []): Promise<QueuePlacement[]> {
  for (const n of NODES.filter((x) => !stopped.includes(x))) {
    try {
      const { stdout } = await run(
        'rabbitmqctl',
        [
          ...['-n', nodeName(n), '-q', 'list_queues', '-p', '/'],
          ...['name', 'leader', 'members', 'online', '--formatter', 'json'],
        ],
        { timeout: 30_000 },
      );
      const rows = JSON.parse(stdout) as Partial<QueuePlacement>[];
      return rows.map((q) => ({
        name: q.name ?? '',
        leader: typeof q.leader === 'string' ? q.leader : '',
        members: Array.isArray(q.members) ? q.members : [],
        online: Array.isArray(q.online) ? q.online : [],
      }));
    } catch {
      // this node does not answer; ask the next
    }
  }
  throw new Error('no cluster node answers list_queues');
}

/** A management API call on the first node that answers (not `stopped`). */
async function management(path: string, stopped: number[] = []): Promise<unknown> {
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
  for (const n of NODES.filter((x) => !stopped.includes(x))) {
    try {
      const res = await fetch(`http://127.0.0.1:${amqpPort(n) + 10_000}${path}`, {
        headers: { authorization: auth },
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) return await res.json();
    } catch {
      // next node
    }
  }
  throw new Error(`no management API answers ${path}`);
}

/** The node number the named exam-relay connection is on, per the management API. */
async function nodeOf(connectionName: string, stopped: number[] = []): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const list = (await management(
      '/api/connections?columns=name,node,client_properties',
      stopped,
    )) as { node: string; client_properties?: { connection_name?: string } }[];
    const found = list.find((c) => c.client_properties?.connection_name === connectionName);
    const n = /^relay(\d)@/.exec(found?.node ?? '')?.[1];
    if (n !== undefined && !stopped.includes(Number(n))) return Number(n);
    await sleep(200); // the connection list is refreshed every few seconds
  }
  throw new Error(`no connection named "${connectionName}" on a running node`);
}

describe('faults on a 3-node RabbitMQ cluster', function () {
  this.timeout(240_000);
  let cluster: Cluster | undefined;
  let redis: Redis;
  const clients: TestClient[] = [];
  /** Nodes a test stopped and must start again, and its stops and starts still running. */
  let stopped: number[] = [];
  const pending: Promise<unknown>[] = [];

  before(async function () {
    this.timeout(300_000);
    await clusterScript('up');
  });
  after(async function () {
    this.timeout(180_000);
    await clusterScript('down');
  });

  beforeEach(() => {
    redis = rawRedis();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) {
      // Whole logs to files: the interesting part of a stalled stream is rarely the tail.
      const processes = [
        ...[...cluster.servers.values()].map((s) => s.process),
        ...cluster.stateManagers,
      ];
      for (const p of processes) {
        const file = join(tmpdir(), `exam-relay-cluster-test-${p.name}.log`);
        await writeFile(file, p.tail(1_000_000));
        console.log(`--- ${p.name}: ${file}\n${p.tail(10)}`);
      }
    }
    for (const c of clients.splice(0)) c.close();
    redis.disconnect();
    await cluster?.stop();
    cluster = undefined;
    await Promise.allSettled(pending.splice(0));
    for (const n of stopped.splice(0)) await clusterScript('start', String(n));
  });

  function started(): Cluster {
    if (!cluster) throw new Error('no cluster');
    return cluster;
  }

  const participants = () => streamParticipants(started(), redis, clients);

  /** Stops node `n`: it counts as stopped until `startNode(n)`, and afterEach waits for it. */
  function stopNode(n: number): Promise<string> {
    stopped.push(n);
    const stop = clusterScript('stop', String(n));
    pending.push(stop);
    return stop;
  }

  async function startNode(n: number): Promise<void> {
    await clusterScript('start', String(n));
    stopped = stopped.filter((x) => x !== n);
  }

  /** The DLQ's depth, read on a node that is up. */
  function liveDlqDepth(): Promise<number> {
    const url = AMQP_URLS.find((_, i) => !stopped.includes(i + 1)) as string;
    return dlqDepth(started().namespace, url);
  }

  const everyAckedOnce = nothingLostCheck(() => ({ redis, namespace: started().namespace }));
  /** Every acked id reached the examinee once, in seq order; Redis agrees; the DLQ is empty. */
  async function expectNothingLost(fault: string, frames: Frame[], stream: StreamResult) {
    await everyAckedOnce(fault, () => frames, stream);
    expect(await liveDlqDepth(), 'dead letters').to.equal(0);
  }

  /** status_queue and its DLQ have a leader and all 3 members, all online. */
  async function expectQueuesWhole() {
    const ns = started().namespace;
    const names = [`${ns}.status_queue`, `${ns}.status_queue.dlq`];
    let mine: QueuePlacement[] = [];
    for (let i = 0; i < 60; i++) {
      mine = (await placements()).filter((q) => names.includes(q.name));
      const whole = (q: QueuePlacement) =>
        q.leader !== '' && q.members.length === 3 && q.online.length === 3;
      if (mine.length === 2 && mine.every(whole)) break;
      await sleep(500);
    }
    expect(mine.map((q) => q.name).sort()).to.deep.equal(names.sort());
    for (const q of mine) {
      expect(q.leader, `${q.name} leader`).to.match(/^relay\d@localhost$/);
      expect([...q.members].sort(), `${q.name} members`).to.deep.equal(NODES.map(nodeName));
      expect([...q.online].sort(), `${q.name} online`).to.deep.equal(NODES.map(nodeName));
    }
  }

  it('loses nothing when the node leading status_queue is stopped and started again', async () => {
    cluster = await Cluster.start({ env: ENV });
    const { examinee, supervisor } = await participants();
    const queue = `${started().namespace}.status_queue`;
    const leader = (await placements()).find((q) => q.name === queue)?.leader ?? '';
    const n = Number(/^relay(\d)@/.exec(leader)?.[1]);
    expect(NODES, `leader of ${queue}: "${leader}"`).to.include(n);
    let restart: Promise<void> = Promise.resolve();
    const strike: Strike = {
      name: 'stop leader',
      atAcked: 300,
      run: () => {
        restart = (async () => {
          await stopNode(n);
          await sleep(2000);
          await startNode(n);
        })();
        pending.push(restart);
      },
    };
    const stream = await streamStrikes(supervisor, [strike], {
      count: COUNT,
      prefix: 'leader',
      deadlineMs: 180_000,
    });
    await expectNothingLost(`status_queue leader ${leader} stopped`, examinee.frames, stream);
    await restart;
    await expectQueuesWhole();
    const newLeader = (await placements()).find((q) => q.name === queue)?.leader;
    console.log(`      status_queue leader: ${leader} before, ${newLeader ?? '?'} after`);
  });

  it("loses nothing when serverA's node is stopped: serverA moves to another node", async () => {
    cluster = await Cluster.start({ env: ENV });
    const { examinee, supervisor } = await participants();
    const n = await nodeOf('exam-relay serverA');
    let stop: Promise<unknown> = Promise.resolve();
    const strike: Strike = {
      name: 'stop serverA node',
      atAcked: 300,
      run: () => {
        stop = stopNode(n);
      },
    };
    const stream = await streamStrikes(supervisor, [strike], {
      count: COUNT,
      prefix: 'server-node',
      deadlineMs: 180_000,
    });
    await expectNothingLost(`serverA's node ${nodeName(n)} stopped`, examinee.frames, stream);
    // serverA re-declared its queue on another node and kept its examinee.
    const moved = await nodeOf('exam-relay serverA', [n]);
    expect(moved).to.not.equal(n);
    expect(examinee.closeCode, 'examinee socket closed').to.equal(undefined);
    console.log(`      serverA: ${nodeName(n)} before, ${nodeName(moved)} after`);
    await stop; // `start` of a node whose VM is still stopping would find it running
    await startNode(n);
    await expectQueuesWhole();
  });
});
