import { expect } from 'chai';
import { ErrorCode } from '../../../src/protocol/index.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createServerMetrics } from '../../../src/server/metrics.js';
import { TokenBucket } from '../../../src/server/rate-limit.js';
import { Session } from '../../../src/server/session.js';
import { LogSink } from '../../helpers/log-sink.js';
import { FakeHistory, FakeSocket, type SentFrame } from './fake-socket.js';

/** A session whose rate limit runs on `clock` (ms), fixed at 0 unless given. */
function session(
  options: {
    burst?: number;
    perSecond?: number;
    maxViolations?: number;
    clock?: () => number;
  } = {},
) {
  const socket = new FakeSocket();
  const logs = new LogSink();
  const history = new FakeHistory();
  const metrics = createServerMetrics();
  const s = new Session(
    socket.ws,
    { clientId: 'E001', role: 'examinee', examId: 'EXAM1', expiresAt: 0 },
    {
      log: createLogger({ service: 'unit' }, logs),
      metrics,
      history,
      maxViolations: options.maxViolations ?? 10,
    },
    new TokenBucket(options.perSecond ?? 1, options.burst ?? 3, options.clock ?? (() => 0)),
    { cursor: 0, epoch: 'e1' },
  );
  return { s, socket, logs, history, metrics };
}

describe('server/session', () => {
  describe('#sendText', () => {
    it('sends while the send buffer is small', () => {
      const { s, socket } = session();
      socket.bufferedAmount = 4 * 1024 * 1024;
      s.sendText('{"type":"presence"}', 'presence');
      expect(socket.sent).to.deep.equal(['{"type":"presence"}']);
    });

    it('drops a slow reader with 4408 once its send buffer passes 4 MiB, and sends no more', async () => {
      const { s, socket, logs } = session();
      socket.bufferedAmount = 4 * 1024 * 1024 + 1;
      s.sendText('{"type":"presence"}', 'presence');
      s.sendText('{"type":"presence"}', 'presence');
      expect(socket.sent).to.deep.equal([]);
      expect(socket.closeCode).to.equal(4408);
      expect(logs.lines.join('')).to.include('slow reader dropped');
    });

    it("logs with the client's id and role", () => {
      const { s, socket, logs } = session();
      socket.bufferedAmount = 4 * 1024 * 1024 + 1;
      s.sendText('{"type":"presence"}', 'presence');
      const line = JSON.parse(logs.lines.find((l) => l.includes('slow reader')) ?? '{}') as object;
      expect(line).to.include({ clientId: 'E001', role: 'examinee' });
    });
  });

  describe('as the sink of its ordered stream', () => {
    it('tells the client what history cannot cover, then sends a fresh snapshot', async () => {
      const { s, socket } = session();
      s.resync(3, 7);
      await new Promise((r) => setImmediate(r));
      expect(socket.frames()).to.deep.equal([
        { type: 'resync', data: { fromSeq: 3, toSeq: 7 } },
        {
          type: 'snapshot',
          data: { examId: 'EXAM1', status: null, examinees: [], truncated: false },
        },
      ]);
    });

    it('moves to a new numbering: resync with the epoch, then a snapshot; continues after its seq', async () => {
      const { s, socket, history } = session();
      history.seq = 12;
      expect(await s.rebase('e1')).to.equal(12);
      expect(await s.rebase('e2')).to.equal(0); // the store is in e1: not the numbering asked for
      expect(socket.frames().map((f) => f.type)).to.deep.equal([
        'resync',
        'snapshot',
        'resync',
        'snapshot',
      ]);
      expect(socket.frames()[0]).to.deep.equal({
        type: 'resync',
        data: { fromSeq: 0, toSeq: 12, epoch: 'e1' },
      });
    });

    it('sends its frames as they are, counting the replayed ones', async () => {
      const { s, socket, metrics } = session();
      s.sendFrame('{"type":"status_change","seq":1}', false);
      s.sendFrame('{"type":"status_change","seq":2}', true);
      expect(socket.sent).to.deep.equal([
        '{"type":"status_change","seq":1}',
        '{"type":"status_change","seq":2}',
      ]);
      expect((await metrics.replayed.get()).values.map((v) => v.value)).to.deep.equal([1]);
    });
  });

  describe('#error', () => {
    it('sends the message of the code table, with the detail after it', () => {
      const { s, socket } = session();
      s.error('FORBIDDEN', 'm-1');
      s.error('INVALID_MESSAGE', undefined, 'data.status: Invalid option');
      expect(socket.frames()).to.deep.equal([
        { type: 'error', id: 'm-1', code: 'FORBIDDEN', message: ErrorCode.FORBIDDEN },
        {
          type: 'error',
          code: 'INVALID_MESSAGE',
          message: `${ErrorCode.INVALID_MESSAGE}: data.status: Invalid option`,
        },
      ]);
    });
  });

  describe('#allow', () => {
    it('allows the burst, answers RATE_LIMITED, and closes with 4429 on the Nth refusal within the 10 s abuse window', () => {
      const { s, socket } = session({ burst: 3, maxViolations: 4 });
      const verdicts = Array.from({ length: 10 }, () => s.allow('r'));
      expect(verdicts).to.deep.equal([
        true,
        true,
        true,
        false,
        false,
        false,
        false,
        false,
        false,
        false,
      ]);
      const errors = socket.frames().filter((f: SentFrame) => f.type === 'error');
      expect(errors).to.deep.equal(
        Array(3).fill({
          type: 'error',
          id: 'r',
          code: 'RATE_LIMITED',
          message: ErrorCode.RATE_LIMITED,
        }),
      );
      expect(socket.closeCode).to.equal(4429);
    });

    it('closes a client that keeps sending at twice the rate, though no two refusals are in a row', () => {
      let now = 0;
      const { s, socket } = session({
        perSecond: 10,
        burst: 1,
        maxViolations: 4,
        clock: () => now,
      });
      const verdicts: boolean[] = [];
      for (let i = 0; i < 10 && socket.closeCode === undefined; i++, now += 50) {
        verdicts.push(s.allow('r'));
      }
      expect(verdicts).to.deep.equal([true, false, true, false, true, false, true, false]);
      expect(socket.closeCode).to.equal(4429);
    });

    it('counts refusals over the 10 s window: N of them spread over longer do not close', () => {
      let now = 0;
      // One token, refilled too slowly to matter: every later frame is refused.
      const clock = () => now;
      const { s, socket } = session({ perSecond: 0.0001, burst: 1, maxViolations: 4, clock });
      expect(s.allow('r')).to.equal(true);
      // Three refusals in the first window, three in the next: never four within 10 s.
      for (const at of [0, 4000, 8000, 12_000, 16_000, 20_000]) {
        now = at;
        expect(s.allow('r'), `at ${at} ms`).to.equal(false);
      }
      expect(socket.closeCode).to.equal(undefined);
      now = 21_000; // the fourth refusal within the window that began at 12 s
      s.allow('r');
      expect(socket.closeCode).to.equal(4429);
    });
  });
});
