// Hostile bus input: a few hundred fast-check-generated messages put on status_queue by
// someone else (malformed, wrong schema, unsigned, forged source server, signed with another
// secret) must each land in the dead-letter queue with x-relay-reason, change nothing in Redis
// and leave the state manager running. Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL;
// localhost defaults) and a built dist/ (npm test builds first); starts a real state manager
// and socket server in a random namespace.
import { expect } from 'chai';
import amqp, { type ConfirmChannel, type ChannelModel, type GetMessage } from 'amqplib';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { StatusQueueMessage, parseJson } from '../../src/protocol/index.js';
import { BusSigner, SIGNATURE_HEADER } from '../../src/shared/bus-signature.js';
import { createNames } from '../../src/topology/names.js';
import { Cluster } from '../helpers/cluster.js';
import { AMQP_URL, rawRedis, routed } from '../helpers/env.js';
import { TEST_SECRET } from '../helpers/processes.js';
import { TestClient } from '../helpers/ws-client.js';
import {
  BUS_KEYS,
  anyFrameText,
  validStatusQueueMessage,
  withUnknownKey,
} from '../unit/protocol/arbitraries.js';
import { settledSnapshot, snapshot } from '../e2e/security-support.js';
import { eventually } from '../helpers/eventually.js';

interface Hostile {
  kind: 'unsigned' | 'forged signature' | 'signed but invalid';
  body: Buffer;
  headers: Record<string, unknown>;
}

const signer = new BusSigner(TEST_SECRET);
const stranger = new BusSigner(`${TEST_SECRET}-someone-else`);

/** A status change S001 could really have sent, as another party would forge it. */
const forgedChange = (i: number) =>
  Buffer.from(
    JSON.stringify({
      type: 'route_message',
      data: {
        sourceServer: 'serverA',
        targetServer: 'state-manager',
        messageType: 'status_change',
        requestId: `forged-${i}`,
        payload: {
          supervisorId: 'S001',
          examId: 'EXAM1',
          targetExamineeId: 'E001',
          status: 'TERMINATED',
          timestamp: new Date().toISOString(),
        },
      },
    }),
  );

/** Hostile messages of every kind, from a fixed fast-check seed. */
function hostileMessages(seed: number): Hostile[] {
  const texts = fc.sample(anyFrameText(validStatusQueueMessage, BUS_KEYS), { numRuns: 250, seed });
  const invalid = texts.filter((t) => !parseJson(StatusQueueMessage, t).ok).slice(0, 150);
  const bytes = fc.sample(fc.uint8Array({ maxLength: 2000 }), { numRuns: 30, seed });
  const valid = fc.sample(validStatusQueueMessage, { numRuns: 40, seed });
  const unknownKeys = fc.sample(withUnknownKey(validStatusQueueMessage, BUS_KEYS), {
    numRuns: 30,
    seed,
  });
  const out: Hostile[] = [];
  for (const text of invalid) {
    const body = Buffer.from(text);
    out.push({ kind: 'signed but invalid', body, headers: signer.headers(body) });
  }
  for (const text of unknownKeys) {
    const body = Buffer.from(text);
    out.push({ kind: 'signed but invalid', body, headers: signer.headers(body) });
  }
  for (const b of bytes) out.push({ kind: 'unsigned', body: Buffer.from(b), headers: {} });
  valid.forEach((message, i) => {
    const body = Buffer.from(JSON.stringify(message));
    const headers = [
      {},
      stranger.headers(body),
      { [SIGNATURE_HEADER]: signer.sign(Buffer.from(`${body.toString()} `)) },
      { [SIGNATURE_HEADER]: 12345 },
      { [SIGNATURE_HEADER]: [signer.sign(body)] },
      { [SIGNATURE_HEADER]: `${signer.sign(body)}x` },
    ][i % 6] as Record<string, unknown>;
    out.push({ kind: i % 6 === 0 ? 'unsigned' : 'forged signature', body, headers });
  });
  for (let i = 0; i < 20; i++) {
    const body = forgedChange(i);
    const headers = i % 2 ? stranger.headers(body) : {};
    out.push({ kind: i % 2 ? 'forged signature' : 'unsigned', body, headers });
  }
  return out;
}

describe('state-manager bus input', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let redis: Redis;
  let conn: ChannelModel;
  let channel: ConfirmChannel;

  before(async () => {
    cluster = await Cluster.start({ servers: ['serverA'] });
    redis = rawRedis();
    conn = await amqp.connect(AMQP_URL);
    channel = await conn.createConfirmChannel();
  });
  after(async () => {
    await conn.close().catch(() => undefined);
    redis.disconnect();
    await cluster.stop();
  });

  describe('status_queue consumer', () => {
    it('dead-letters every hostile message with a reason, changes nothing and keeps serving', async () => {
      const names = createNames(cluster.namespace);
      const port = cluster.port('serverA');
      const examinee = await TestClient.login(port, await cluster.token('E001', 'examinee'));
      const supervisor = await TestClient.login(port, await cluster.token('S001', 'supervisor'));
      await routed(redis, cluster.namespace, 'E001', 'serverA');
      await routed(redis, cluster.namespace, 'S001', 'serverA');
      const before = await settledSnapshot(redis, cluster.namespace);

      const seed = Date.now();
      const hostile = hostileMessages(seed);
      expect(hostile.length, `seed ${seed}`).to.be.at.least(250);
      for (const { body, headers } of hostile) {
        channel.publish(names.statusExchange, names.statusRoutingKey, body, {
          persistent: true,
          headers,
        });
      }
      await channel.waitForConfirms();

      await eventually(
        async () =>
          (await channel.checkQueue(names.deadLetterQueue)).messageCount >= hostile.length,
        `${hostile.length} dead letters (seed ${seed})`,
        20_000,
      );
      const dead: GetMessage[] = [];
      for (;;) {
        const m = await channel.get(names.deadLetterQueue, { noAck: true });
        if (!m) break;
        dead.push(m);
      }
      expect(dead.length, `seed ${seed}`).to.equal(hostile.length);
      // The same body may have been sent twice (say, empty): match reasons as a multiset.
      const reasons = new Map<string, unknown[]>();
      for (const m of dead) {
        const key = m.content.toString('base64');
        reasons.set(key, [...(reasons.get(key) ?? []), m.properties.headers?.['x-relay-reason']]);
      }
      for (const h of hostile) {
        const what = `${h.kind}: ${h.body.toString().slice(0, 120)} (seed ${seed})`;
        const expected = (r: unknown) =>
          typeof r === 'string' &&
          (h.kind === 'signed but invalid'
            ? r.startsWith('invalid message: ')
            : r === 'bad signature');
        const left = reasons.get(h.body.toString('base64')) ?? [];
        const at = left.findIndex(expected);
        expect(at, `${what}: reasons ${JSON.stringify(left)}`).to.be.at.least(0);
        left.splice(at, 1);
      }
      expect(dead.every((m) => m.properties.headers?.['x-death'] === undefined)).to.equal(true);

      const sm = cluster.stateManagers[0];
      expect(sm?.child.exitCode, sm?.tail()).to.equal(null);
      expect(
        sm?.lines.filter((l) => l.msg === 'delivery handler failed; requeueing'),
      ).to.deep.equal([]);
      expect(await snapshot(redis, cluster.namespace)).to.deep.equal(before);
      expect(examinee.of('status_change')).to.deep.equal([]);

      supervisor.change('after-hostile', { targetExamineeId: 'E001', status: 'STARTED' });
      await supervisor.next((f) => f.type === 'ack' && f.id === 'after-hostile');
      await examinee.next((f) => f.type === 'status_change' && f.id === 'after-hostile');
      expect(await redis.hget(`${cluster.namespace}:examinee:E001:status`, 'status')).to.equal(
        'STARTED',
      );
      supervisor.close();
      examinee.close();
    });
  });
});
