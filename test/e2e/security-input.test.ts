// Validation end to end: bad frames get INVALID_MESSAGE and the connection stays usable, and
// thousands of fast-check-generated frames on one socket are each answered without changing
// Redis. Needs RabbitMQ and Redis running (AMQP_URL, REDIS_URL; localhost defaults) and a built
// dist/ (npm test builds first). Starts real exam-relay processes in a random namespace.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { ClientFrame, parseJson } from '../../src/protocol/index.js';
import { Cluster } from '../helpers/cluster.js';
import { rawRedis, routed } from '../helpers/env.js';
import { TestClient, type Frame } from '../helpers/ws-client.js';
import { CLIENT_KEYS, anyFrameText, validClientFrame } from '../unit/protocol/arbitraries.js';
import { settledSnapshot, sleep, snapshot } from './security-support.js';

const FUZZ_FRAMES = 3000;
const change = (id: string, data: Record<string, unknown>) =>
  JSON.stringify({ type: 'status_change', id, data });

/** Frames that must each get INVALID_MESSAGE, with the id the answer carries (if usable). */
const BAD_FRAMES: [string, string | Buffer, string | undefined][] = [
  ['not JSON', 'status_change please', undefined],
  ['empty', '', undefined],
  ['JSON null', 'null', undefined],
  ['JSON array', '[{"type":"status_change"}]', undefined],
  ['a number', '1e309', undefined],
  ['unknown type', '{"type":"delete_everything","id":"b-1"}', 'b-1'],
  ['type __proto__', '{"type":"__proto__","id":"b-2"}', 'b-2'],
  ['a second hello', '{"type":"hello","token":"x"}', undefined],
  ['no id', change('', { examId: 'EXAM1', status: 'STARTED' }).replace('"id":"",', ''), undefined],
  ['id of 65', change('i'.repeat(65), { examId: 'EXAM1', status: 'STARTED' }), undefined],
  ['id with a space', change('a b', { examId: 'EXAM1', status: 'STARTED' }), undefined],
  [
    'id not a string',
    '{"type":"status_change","id":{"$ne":1},"data":{"examId":"EXAM1","status":"STARTED"}}',
    undefined,
  ],
  ['no data', '{"type":"status_change","id":"b-3"}', 'b-3'],
  [
    'both targets',
    change('b-4', { examId: 'EXAM1', targetExamineeId: 'E001', status: 'ENDED' }),
    'b-4',
  ],
  [
    'unknown field',
    '{"type":"status_change","id":"b-5","data":{"examId":"EXAM1","status":"ENDED"},"x":1}',
    'b-5',
  ],
  ['unknown data field', change('b-6', { examId: 'EXAM1', status: 'ENDED', reason: 'x' }), 'b-6'],
  [
    'constructor key',
    change('b-7', { examId: 'EXAM1', status: 'ENDED', constructor: { prototype: { x: 1 } } }),
    'b-7',
  ],
  ['lowercase status', change('b-8', { examId: 'EXAM1', status: 'ended' }), 'b-8'],
  ['unknown status', change('b-9', { examId: 'EXAM1', status: 'DELETED' }), 'b-9'],
  ['status a number', change('b-10', { examId: 'EXAM1', status: 1e308 }), 'b-10'],
  [
    'target with a colon',
    change('b-11', { targetExamineeId: 'E001:route', status: 'ENDED' }),
    'b-11',
  ],
  ['target a path', change('b-12', { targetExamineeId: '../E001', status: 'ENDED' }), 'b-12'],
  ['target a pattern', change('b-13', { targetExamineeId: '*', status: 'ENDED' }), 'b-13'],
  ['target of 65', change('b-14', { targetExamineeId: 'E'.repeat(65), status: 'ENDED' }), 'b-14'],
  ['exam of 65', change('b-15', { examId: 'X'.repeat(65), status: 'ENDED' }), 'b-15'],
  [
    'deep nesting',
    `{"type":"status_change","id":"b-16","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    'b-16',
  ],
  [
    'deep objects',
    `{"type":"status_change","id":"b-17","data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    'b-17',
  ],
  ['byte order mark', `\uFEFF${change('b-18', { examId: 'EXAM1', status: 'ENDED' })}`, undefined],
  ['trailing garbage', `${change('b-19', { examId: 'EXAM1', status: 'ENDED' })}}`, undefined],
  ['binary frame', Buffer.from(change('b-20', { examId: 'EXAM1', status: 'ENDED' })), undefined],
];

describe('security: validation', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let redis: Redis;
  let port: number;
  const ns = () => cluster.namespace;

  before(async () => {
    cluster = await Cluster.start({ servers: [] });
    redis = rawRedis();
    ({ port } = await cluster.startServer('serverZ', undefined, {
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
    }));
  });
  after(async () => {
    redis.disconnect();
    await cluster.stop();
  });

  async function session() {
    const examinee = await TestClient.login(port, await cluster.token('E001', 'examinee'));
    const supervisor = await TestClient.login(port, await cluster.token('S001', 'supervisor'));
    await routed(redis, ns(), 'E001', 'serverZ');
    await routed(redis, ns(), 'S001', 'serverZ');
    return { examinee, supervisor };
  }

  async function stillUsable(supervisor: TestClient, examinee: TestClient, id: string) {
    supervisor.send(change(id, { targetExamineeId: 'E001', status: 'RESUMED' }));
    await supervisor.next((f) => f.type === 'ack' && f.id === id);
    await examinee.next((f) => f.type === 'status_change' && f.id === id);
    expect(await redis.hget(`${ns()}:examinee:E001:status`, 'status')).to.equal('RESUMED');
  }

  describe('status_change', () => {
    it('answers each bad frame with INVALID_MESSAGE, stays usable and changes nothing', async () => {
      const { examinee, supervisor } = await session();
      const before = await settledSnapshot(redis, ns());
      for (const [, frame] of BAD_FRAMES) supervisor.ws.send(frame);
      const errors = await supervisor.count((f) => f.type === 'error', BAD_FRAMES.length);
      errors.forEach((error, i) => {
        const [name, , id] = BAD_FRAMES[i] as [string, unknown, string | undefined];
        expect(error.code, name).to.equal('INVALID_MESSAGE');
        expect(error.id, name).to.equal(id);
        expect(error.message, name).to.match(/^the frame is not a valid message/);
        expect(error.message, name).to.not.match(/\bat .+:\d+|node:|\/src\//);
      });
      await sleep(300);
      expect(await snapshot(redis, ns())).to.deep.equal(before);
      expect(examinee.of('status_change')).to.deep.equal([]);
      await stillUsable(supervisor, examinee, 'after-bad');
      supervisor.close();
      examinee.close();
    });

    it('treats a __proto__ key as absent and pollutes nothing', async () => {
      const { examinee, supervisor } = await session();
      supervisor.send(
        '{"__proto__":{"role":"admin"},"type":"status_change","id":"proto-1",' +
          '"data":{"__proto__":{"examId":"EXAM2"},"targetExamineeId":"E001","status":"PAUSED"}}',
      );
      await supervisor.next((f) => f.type === 'ack' && f.id === 'proto-1');
      const stored = await redis.hgetall(`${ns()}:examinee:E001:status`);
      expect(stored).to.include({ status: 'PAUSED', supervisorId: 'S001', requestId: 'proto-1' });
      expect(stored.examId).to.not.equal('EXAM2');
      expect(Object.keys(stored).sort()).to.deep.equal([
        'examId',
        'requestId',
        'rev',
        'status',
        'supervisorId',
        'timestamp',
      ]);
      await stillUsable(supervisor, examinee, 'after-proto');
      supervisor.close();
      examinee.close();
    });
  });

  describe('fuzz', () => {
    it(`answers each of ${FUZZ_FRAMES} arbitrary frames on one socket, changes nothing and stays usable`, async () => {
      const { examinee, supervisor } = await session();
      const seed = Date.now();
      const frames = fc
        .sample(anyFrameText(validClientFrame, CLIENT_KEYS), { numRuns: FUZZ_FRAMES * 2, seed })
        .filter((text) => {
          const parsed = parseJson(ClientFrame, text);
          return !(parsed.ok && parsed.value.type === 'status_change'); // a valid change applies
        })
        .slice(0, FUZZ_FRAMES);
      expect(frames).to.have.length(FUZZ_FRAMES);
      const before = await settledSnapshot(redis, ns());
      for (const frame of frames) supervisor.send(frame);
      const answers: Frame[] = await supervisor.count(
        (f) => f.type === 'error',
        FUZZ_FRAMES,
        30_000,
      );
      const wrong = answers.filter((f) => f.code !== 'INVALID_MESSAGE');
      expect(wrong, `seed ${seed}`).to.deep.equal([]);
      expect(supervisor.ws.readyState, `seed ${seed}`).to.equal(supervisor.ws.OPEN);
      await sleep(300);
      expect(await snapshot(redis, ns()), `seed ${seed}`).to.deep.equal(before);
      expect(cluster.servers.get('serverZ')?.process.child.exitCode).to.equal(null);
      await stillUsable(supervisor, examinee, 'after-fuzz');
      supervisor.close();
      examinee.close();
    });
  });
});
