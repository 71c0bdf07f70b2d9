import { expect } from 'chai';
import fc from 'fast-check';
import {
  ClientFrame,
  ErrorCode,
  StatusQueueMessage,
  parseJson,
  type StatusQueueMessage as Message,
} from '../../../src/protocol/index.js';
import { UnavailableError } from '../../../src/shared/errors.js';
import {
  CLIENT_KEYS,
  anyFrameText,
  statusChangeRequest,
  validClientFrame,
} from '../protocol/arbitraries.js';
import { eventually } from '../../helpers/eventually.js';
import { hostileTokens } from '../protocol/hostile-tokens.js';
import {
  SECRET,
  authenticated,
  harness,
  isConnectOf,
  metric,
  token,
  type FakeSocket,
  type SentFrame,
} from './fake-socket.js';

const hello = async (socket: FakeSocket, t: string | Promise<string>) =>
  socket.peerText(JSON.stringify({ type: 'hello', token: await t }));
const closed = (socket: FakeSocket) =>
  eventually(() => socket.readyState === socket.CLOSED, 'the socket to close');
const statusChanges = (published: Message[]) =>
  published.filter((m) => m.type === 'route_message' && m.data.messageType === 'status_change');

describe('server/socket', () => {
  describe('hello', () => {
    it('welcomes a valid token and reports the connect with the token identity', async () => {
      const h = harness();
      const socket = await authenticated(h, 'E001', 'examinee', 'EXAM7');
      expect(socket.frames()[0]).to.deep.include({ type: 'welcome' });
      expect(socket.frames()[0]?.data).to.include({
        clientId: 'E001',
        role: 'examinee',
        examId: 'EXAM7',
        serverId: 'serverT',
      });
      expect(h.ctx.sessions.size).to.equal(1);
    });

    it('closes with 4401 "unauthorized", says nothing else and publishes nothing, for every bad token', async () => {
      const h = harness();
      for (const { name, token: bad } of await hostileTokens(SECRET)) {
        const socket = h.open();
        await hello(socket, bad);
        await closed(socket);
        expect([socket.closeCode, socket.closeReason], name).to.deep.equal([4401, 'unauthorized']);
        expect(socket.sent, name).to.deep.equal([]);
      }
      expect(h.published).to.deep.equal([]);
      expect(h.ctx.sessions.size).to.equal(0);
    });

    it('closes with 4401 when the first frame is anything but a valid hello', async () => {
      const h = harness();
      const firsts = [
        JSON.stringify({
          type: 'status_change',
          id: 'a',
          data: { examId: 'EXAM1', status: 'STARTED' },
        }),
        'not json',
        '{"type":"hello"}',
        '{"type":"hello","token":"x","extra":1}',
        '',
      ];
      for (const first of [...firsts, Buffer.from([1, 2, 3])]) {
        const socket = h.open();
        if (typeof first === 'string') socket.peerText(first);
        else socket.peerBinary(first);
        await closed(socket);
        expect(socket.closeCode, String(first)).to.equal(4401);
        expect(socket.sent).to.deep.equal([]);
      }
      expect(h.published).to.deep.equal([]);
    });

    it('closes with 4401 when no hello comes within the hello timeout', async () => {
      const h = harness({ helloTimeoutMs: 60 });
      const socket = h.open();
      const started = Date.now();
      await closed(socket);
      expect(socket.closeCode).to.equal(4401);
      expect(Date.now() - started).to.be.within(50, 1000);
    });

    it('handles frames sent while the hello is checked after the welcome, as the token says', async () => {
      const h = harness();
      const socket = h.open();
      await hello(socket, token('S001', 'supervisor'));
      socket.peerText(
        JSON.stringify({
          type: 'status_change',
          id: 'early',
          data: { examId: 'EXAM1', status: 'ENDED' },
        }),
      );
      socket.peerText('not json');
      await eventually(() => h.published.some((m) => isConnectOf(m, 'S001')), 'connect of S001');
      const [change] = statusChanges(h.published);
      expect(change?.data).to.deep.include({ requestId: 'early' });
      expect(socket.frames().map((f) => f.type)).to.deep.equal(['welcome', 'snapshot', 'error']);
    });

    it('closes with 1008 when more than 16 frames come while the hello is checked', async () => {
      const h = harness();
      const socket = h.open();
      await hello(socket, token('S001', 'supervisor'));
      for (let i = 0; i < 17; i++) socket.peerText('x');
      await closed(socket);
      expect(socket.closeCode).to.equal(1008);
      expect(h.ctx.sessions.size).to.equal(0);
      expect(h.published).to.deep.equal([]);
    });

    it('registers nothing and reports no connect when the socket closes while welcome reads the seq', async () => {
      const h = harness();
      h.history.delayMs = 30;
      const socket = h.open();
      await hello(socket, token('E001', 'examinee'));
      await eventually(() => h.history.reads === 1, 'the seq read'); // the token is verified; the seq read is pending
      socket.peerGone();
      await new Promise((r) => setTimeout(r, 80));
      expect(h.ctx.sessions.size, 'sessions left registered').to.equal(0);
      expect(h.published.filter((m) => isConnectOf(m, 'E001'))).to.deep.equal([]);
      expect(socket.sent).to.deep.equal([]);
    });

    it('closes the oldest socket of a client with 4409 past maxSocketsPerClient', async () => {
      const h = harness({ maxSocketsPerClient: 2 });
      const first = await authenticated(h, 'E001', 'examinee');
      const second = await authenticated(h, 'E001', 'examinee');
      const third = await authenticated(h, 'E001', 'examinee');
      await closed(first);
      expect(first.closeCode).to.equal(4409);
      expect([second.readyState, third.readyState]).to.deep.equal([1, 1]);
      expect(h.ctx.sessions.of('E001')).to.have.length(2);
    });
  });

  describe('message', () => {
    it('answers every frame of an examinee with exactly one error and stays open', async () => {
      const h = harness({ rateLimitBurst: 100_000, rateLimitPerSecond: 100_000 });
      const socket = await authenticated(h, 'E001', 'examinee');
      const published = h.published.length;
      fc.assert(
        fc.property(anyFrameText(validClientFrame, CLIENT_KEYS), (text) => {
          const before = socket.sent.length;
          socket.peerText(text);
          expect(socket.sent.length - before, text).to.equal(1);
          const reply = JSON.parse(socket.sent.at(-1) as string) as SentFrame;
          const parsed = parseJson(ClientFrame, text);
          const expected =
            parsed.ok && parsed.value.type === 'status_change' ? 'FORBIDDEN' : 'INVALID_MESSAGE';
          expect(reply).to.include({ type: 'error', code: expected });
          expect(String(reply.message).startsWith(ErrorCode[expected])).to.equal(true);
          expect(socket.readyState).to.equal(socket.OPEN);
        }),
        { numRuns: 2500 },
      );
      expect(h.published.length).to.equal(published);
    });

    it('publishes a supervisor change with the token identity, never the frame ones', async () => {
      const h = harness({ rateLimitBurst: 100_000, rateLimitPerSecond: 100_000 });
      const socket = await authenticated(h, 'S001', 'supervisor', 'EXAM1');
      fc.assert(
        fc.property(statusChangeRequest(fc.constant('EXAM1')), (frame) => {
          const before = h.published.length;
          socket.peerText(JSON.stringify(frame));
          expect(h.published.length).to.equal(before + 1);
          const message = h.published.at(-1) as Message;
          expect(parseJson(StatusQueueMessage, JSON.stringify(message)).ok).to.equal(true);
          if (message.type !== 'route_message' || message.data.messageType !== 'status_change')
            throw new Error('not a status change');
          expect(message.data).to.include({ sourceServer: 'serverT', requestId: frame.id });
          expect(message.data.payload).to.include({
            supervisorId: 'S001',
            examId: 'EXAM1',
            status: frame.data.status,
          });
        }),
        { numRuns: 500 },
      );
      expect(socket.frames().filter((f) => f.type === 'error')).to.deep.equal([]);
    });

    it('answers FORBIDDEN to a supervisor acting on another exam and publishes nothing', async () => {
      const h = harness();
      const socket = await authenticated(h, 'S001', 'supervisor', 'EXAM1');
      const before = h.published.length;
      socket.peerText(
        JSON.stringify({
          type: 'status_change',
          id: 'x',
          data: { examId: 'EXAM2', status: 'ENDED' },
        }),
      );
      expect(socket.frames().at(-1)).to.deep.equal({
        type: 'error',
        id: 'x',
        code: 'FORBIDDEN',
        message: `${ErrorCode.FORBIDDEN}: supervisors act only on their own exam`,
      });
      expect(h.published.length).to.equal(before);
    });

    it('answers binary frames and a second hello with INVALID_MESSAGE', async () => {
      const h = harness();
      const socket = await authenticated(h, 'S001', 'supervisor');
      socket.peerBinary(Buffer.from('{"type":"hello"}'));
      await hello(socket, token('S002', 'supervisor'));
      expect(
        socket
          .frames()
          .slice(-2)
          .map((f) => f.code),
      ).to.deep.equal(['INVALID_MESSAGE', 'INVALID_MESSAGE']);
      expect(h.ctx.sessions.of('S002')).to.have.length(0);
      expect(socket.readyState).to.equal(socket.OPEN);
    });

    it('echoes a usable request id of an invalid frame and drops an unusable one', async () => {
      const h = harness();
      const socket = await authenticated(h, 'S001', 'supervisor');
      socket.peerText('{"type":"status_change","id":"m-1","data":{}}');
      socket.peerText(`{"type":"status_change","id":"${'x'.repeat(65)}","data":{}}`);
      socket.peerText('{"type":"status_change","id":{"$gt":""},"data":{}}');
      const [a, b, c] = socket.frames().slice(-3);
      expect(a).to.include({ id: 'm-1', code: 'INVALID_MESSAGE' });
      expect(b).to.not.have.property('id');
      expect(c).to.not.have.property('id');
    });

    it('answers UNAVAILABLE and INTERNAL from the code table, never with the internal error', async () => {
      const h = harness();
      const socket = await authenticated(h, 'S001', 'supervisor');
      const change = (id: string) =>
        JSON.stringify({ type: 'status_change', id, data: { examId: 'EXAM1', status: 'READY' } });
      h.failPublishWith(new UnavailableError('amqp://guest:hunter2@broker: channel 7 closed'));
      socket.peerText(change('u-1'));
      h.failPublishWith(
        new TypeError("Cannot read properties of undefined (reading 'x') at /src/x.ts:1"),
      );
      socket.peerText(change('i-1'));
      await eventually(
        () => socket.frames().filter((f) => f.type === 'error').length === 2,
        'two errors',
      );
      expect(socket.frames().slice(-2)).to.deep.equal([
        { type: 'error', id: 'u-1', code: 'UNAVAILABLE', message: ErrorCode.UNAVAILABLE },
        { type: 'error', id: 'i-1', code: 'INTERNAL', message: ErrorCode.INTERNAL },
      ]);
    });
  });

  describe('closing', () => {
    const change = (id: string) =>
      JSON.stringify({ type: 'status_change', id, data: { examId: 'EXAM1', status: 'ENDED' } });

    it('ignores frames a replaced socket sends after the server closed it', async () => {
      const h = harness({ maxSocketsPerClient: 1 });
      const old = await authenticated(h, 'S001', 'supervisor');
      old.answersClose = false; // the client keeps its socket half-open and goes on sending
      await authenticated(h, 'S001', 'supervisor');
      expect([old.readyState, old.closeCode]).to.deep.equal([old.CLOSING, 4409]);
      const sent = old.sent.length;
      old.peerText(change('after-4409'));
      old.peerText('not json');
      await new Promise((r) => setTimeout(r, 20));
      expect(statusChanges(h.published)).to.deep.equal([]);
      expect(old.sent.length).to.equal(sent);
    });

    it('ignores frames a rate-limited socket sends after the server closed it', async () => {
      const h = harness({ rateLimitBurst: 2, rateLimitPerSecond: 1000 });
      const socket = await authenticated(h, 'S001', 'supervisor');
      socket.answersClose = false;
      for (let i = 0; i < 12; i++) socket.peerText('x'); // 2 allowed, then 10 refused in a row
      expect([socket.readyState, socket.closeCode]).to.deep.equal([socket.CLOSING, 4429]);
      h.advance(20); // the bucket has refilled
      socket.peerText(change('after-4429'));
      await new Promise((r) => setTimeout(r, 20));
      expect(statusChanges(h.published)).to.deep.equal([]);
    });
  });

  describe('rate limit', () => {
    it('answers RATE_LIMITED past the burst, then closes with 4429, counting the close once', async () => {
      const h = harness({ rateLimitBurst: 5, rateLimitPerSecond: 1 });
      const socket = await authenticated(h, 'E001', 'examinee');
      for (let i = 0; i < 200; i++) socket.peerText('x');
      const codes = socket
        .frames()
        .filter((f) => f.type === 'error')
        .map((f) => f.code);
      expect(codes.slice(0, 5)).to.deep.equal(Array(5).fill('INVALID_MESSAGE'));
      // max(10, burst) refusals within the 10 s abuse window close the socket; the last one is the
      // close itself.
      expect(codes.slice(5)).to.deep.equal(Array(9).fill('RATE_LIMITED'));
      await closed(socket);
      expect(socket.closeCode).to.equal(4429);
      expect(await metric(h, 'exam_relay_closes_total', { code: '4429' })).to.equal(1);
    });

    it('answers RATE_LIMITED with the id of the refused request, so the client knows what to resend', async () => {
      const h = harness({ rateLimitBurst: 1, rateLimitPerSecond: 1 });
      const socket = await authenticated(h, 'S001', 'supervisor');
      const change = (id: string) =>
        JSON.stringify({ type: 'status_change', id, data: { examId: 'EXAM1', status: 'READY' } });
      socket.peerText(change('ok-1'));
      socket.peerText(change('limited-1'));
      socket.peerText('{"id":"limited-2"');
      expect(statusChanges(h.published)).to.have.length(1);
      expect(socket.frames().filter((f) => f.type === 'error')).to.deep.equal([
        { type: 'error', id: 'limited-1', code: 'RATE_LIMITED', message: ErrorCode.RATE_LIMITED },
        { type: 'error', code: 'RATE_LIMITED', message: ErrorCode.RATE_LIMITED },
      ]);
    });
  });
});
