// No services needed: an in-process `ws` server plays the socket server.
import { expect } from 'chai';
import {
  ClientClosedError,
  RequestError,
  RequestTimeoutError,
  type ExamineeStatus,
} from '../../../src/client/index.js';
import { eventually } from '../../helpers/eventually.js';
import { Harness, record } from './fake-server.js';

const ACK = {
  status: 'STARTED',
  examinees: ['E001'],
  timestamp: '2024-01-01T09:00:00.000Z',
  delivered: ['E001'],
  pending: [],
};

const ack = (id: unknown) => ({ type: 'ack', id, data: ACK });

describe('ExamRelayClient', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  describe('#changeStatus', () => {
    it('resolves with the ack data when the server acks the id', async () => {
      const { client, conn, seen } = await h.connected(['ack'], {
        server: { answer: (frame) => ack(frame.id) },
      });

      const result = await client.changeStatus({ targetExamineeId: 'E001' }, 'STARTED', {
        id: 'm-1',
      });

      expect(result).to.deep.equal(ACK);
      expect(conn.of('status_change')).to.deep.equal([
        { type: 'status_change', id: 'm-1', data: { targetExamineeId: 'E001', status: 'STARTED' } },
      ]);
      expect(seen.ack).to.deep.equal([{ id: 'm-1', data: ACK }]);
      expect(client.pendingRequests).to.equal(0);
    });

    it('rejects with a RequestError carrying the code when the server refuses the id', async () => {
      const server = await h.server({
        answer: (frame) => ({
          type: 'error',
          id: frame.id,
          code: 'FORBIDDEN',
          message: 'not allowed: examinees cannot change status',
        }),
      });
      const client = h.client({ urls: [server.url] });
      const errors = record(client, 'error');
      await client.connect();

      const error: unknown = await client
        .changeStatus({ examId: 'EXAM1' }, 'PAUSED', { id: 'm-2' })
        .catch((e: unknown) => e);

      expect(error).to.be.instanceOf(RequestError);
      expect(error).to.include({ code: 'FORBIDDEN', requestId: 'm-2', retryable: false });
      expect((error as Error).message).to.equal('not allowed: examinees cannot change status');
      expect(errors).to.have.length(0);
    });

    it('resends the same id after UNAVAILABLE and resolves with the later ack', async () => {
      const server = await h.server({
        answer: (frame, nth) =>
          nth < 2
            ? { type: 'error', id: frame.id, code: 'UNAVAILABLE', message: 'try again' }
            : ack(frame.id),
      });
      const client = h.client({ urls: [server.url] });
      await client.connect();
      const conn = await server.connection(0);

      const result = await client.changeStatus({ examId: 'EXAM1' }, 'STARTED', { id: 'm-3' });

      expect(result).to.deep.equal(ACK);
      expect(conn.of('status_change').map((f) => f.id)).to.deep.equal(['m-3', 'm-3', 'm-3']);
    });

    it('resends the same id on the same connection when no ack comes within requestTimeoutMs', async () => {
      const { server, client, conn } = await h.connected([], {
        server: { answer: (frame, nth) => (nth === 2 ? ack(frame.id) : undefined) },
        client: { requestTimeoutMs: 50 },
      });

      await client.changeStatus({ examId: 'EXAM1' }, 'STARTED', { id: 'm-4' });

      expect(conn.of('status_change').map((f) => f.id)).to.deep.equal(['m-4', 'm-4', 'm-4']);
      expect(server.connections).to.have.length(1);
    });

    it('resends the same id after a reconnect and resolves exactly once', async () => {
      const a = await h.server();
      // The server answers both copies: the one it got before the drop (sent by hand below),
      // and the resend.
      const b = await h.server({ answer: (frame) => ack(frame.id) });
      const client = h.client({ urls: [a.url, b.url] });
      const acks = record(client, 'ack');
      await client.connect();
      const first = await a.connection(0);
      let settled = 0;

      const result = client
        .changeStatus({ targetExamineeId: 'E001' }, 'ENDED', { id: 'm-5' })
        .finally(() => settled++);
      await first.next('status_change');
      first.terminate();
      const second = await b.welcomed(0);
      second.send(ack('m-5'));

      expect(await result).to.deep.equal(ACK);
      await second.next('status_change');
      await new Promise((r) => setTimeout(r, 30));
      expect(second.of('status_change').map((f) => f.id)).to.deep.equal(['m-5']);
      expect(settled).to.equal(1);
      expect(acks).to.deep.equal([{ id: 'm-5', data: ACK }]);
    });

    it('waits for a welcome before sending a request made while disconnected', async () => {
      const server = await h.server({ answer: (frame) => ack(frame.id) });
      const client = h.client({ urls: [server.url] });

      const result = client.changeStatus({ examId: 'EXAM1' }, 'READY', { id: 'm-6' });
      await new Promise((r) => setTimeout(r, 30));
      void client.connect();
      const conn = await server.connection(0);

      expect(await result).to.deep.equal(ACK);
      expect(conn.frames.map((f) => f.type)).to.deep.equal(['hello', 'status_change']);
    });

    it('rejects with a RequestTimeoutError when no ack comes before the deadline', async () => {
      const server = await h.server();
      const client = h.client({ urls: [server.url], requestTimeoutMs: 40 });
      await client.connect();

      const error: unknown = await client
        .changeStatus({ examId: 'EXAM1' }, 'STARTED', { id: 'm-7', deadlineMs: 150 })
        .catch((e: unknown) => e);

      expect(error).to.be.instanceOf(RequestTimeoutError);
      expect(error).to.include({ code: 'TIMEOUT', requestId: 'm-7', retryable: true });
      expect((await server.connection(0)).of('status_change').length).to.be.at.least(3);
      expect(client.pendingRequests).to.equal(0);
    });

    it('rejects INVALID_MESSAGE without sending when the request breaks the schema', async () => {
      const server = await h.server();
      const client = h.client({ urls: [server.url] });
      await client.connect();

      const badStatus: unknown = await client
        .changeStatus({ examId: 'EXAM1' }, 'BOGUS' as ExamineeStatus)
        .catch((e: unknown) => e);
      const badId: unknown = await client
        .changeStatus({ examId: 'EXAM1' }, 'STARTED', { id: 'x'.repeat(65) })
        .catch((e: unknown) => e);

      expect(badStatus).to.be.instanceOf(RequestError).and.include({ code: 'INVALID_MESSAGE' });
      expect((badStatus as Error).message).to.equal(
        'the frame is not a valid message: status: must be one of READY, STARTED, PAUSED, ' +
          'RESUMED, ENDED, TERMINATED',
      );
      expect(badId).to.be.instanceOf(RequestError).and.include({ code: 'INVALID_MESSAGE' });
      expect((badId as Error).message).to.match(/: id: /);
      const badTarget: unknown = await client
        .changeStatus({ targetExamineeId: 'E 1' }, 'STARTED')
        .catch((e: unknown) => e);
      expect((badTarget as Error).message).to.match(/: target: /);
      await new Promise((r) => setTimeout(r, 30));
      expect((await server.connection(0)).of('status_change')).to.have.length(0);
    });

    it('rejects a TypeError for a deadlineMs a timer cannot wait', async () => {
      const server = await h.server();
      const client = h.client({ urls: [server.url] });
      for (const deadlineMs of [0, -5, Number.NaN, 2 ** 31]) {
        const error: unknown = await client
          .changeStatus({ examId: 'EXAM1' }, 'STARTED', { deadlineMs })
          .catch((e: unknown) => e);
        expect(error).to.be.instanceOf(TypeError);
        expect((error as Error).message).to.match(/^deadlineMs: /);
      }
      expect(client.pendingRequests).to.equal(0);
    });

    it('gives a request without an id a random UUID', async () => {
      const { client, conn } = await h.connected([], {
        server: { answer: (frame) => ack(frame.id) },
      });

      await client.changeStatus({ examId: 'EXAM1' }, 'STARTED');
      await client.changeStatus({ examId: 'EXAM1' }, 'STARTED');

      const ids = conn.of('status_change').map((f) => f.id as string);
      expect(ids).to.have.length(2);
      for (const id of ids) expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
      expect(ids[0]).to.not.equal(ids[1]);
    });

    it('returns the pending promise for an id that is already pending', async () => {
      const { client, conn } = await h.connected();

      const first = client.changeStatus({ examId: 'EXAM1' }, 'STARTED', { id: 'm-8' });
      const second = client.changeStatus({ examId: 'EXAM1' }, 'ENDED', { id: 'm-8' });
      await conn.next('status_change');
      conn.send(ack('m-8'));

      expect(second).to.equal(first);
      expect(await second).to.deep.equal(ACK);
      expect(conn.of('status_change')).to.have.length(1);
    });
  });

  describe('#close', () => {
    it('rejects pending requests with ClientClosedError and stops reconnecting', async () => {
      const { server, client, seen } = await h.connected(['disconnected']);
      const pending = client
        .changeStatus({ examId: 'EXAM1' }, 'STARTED', { id: 'm-9' })
        .catch((e: unknown) => e);

      await client.close();

      const error = await pending;
      expect(error).to.be.instanceOf(ClientClosedError).and.include({ code: 'CLOSED' });
      expect(client.status).to.equal('closed');
      expect(seen.disconnected).to.deep.equal([
        { url: server.url, reason: 'client closed', willReconnect: false },
      ]);
      await new Promise((r) => setTimeout(r, 100));
      expect(server.connections).to.have.length(1);
      await eventually(() => server.connections[0]?.closeCode === 1000, 'a normal closure');
      expect(
        await client.changeStatus({ examId: 'EXAM1' }, 'STARTED').catch((e) => e),
      ).to.be.instanceOf(ClientClosedError);
    });
  });
});
