// No services needed: an in-process `ws` server plays the socket server.
import { expect } from 'chai';
import { ProtocolError } from '../../../src/client/index.js';
import { eventually } from '../../helpers/eventually.js';
import { Harness, record } from './fake-server.js';

const change = (seq: number, id = `m-${seq}`) => ({
  type: 'status_change',
  seq,
  id,
  data: {
    supervisorId: 'S001',
    targetExamineeId: 'E001',
    status: 'STARTED',
    timestamp: '2024-01-01T09:00:00.000Z',
  },
});

describe('ExamRelayClient', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  describe('statusChange', () => {
    it('is emitted once per seq, in order, ignoring seqs the client already has', async () => {
      const { client, conn, seen } = await h.connected(['statusChange']);

      for (const seq of [1, 2, 2, 1, 3]) conn.send(change(seq));

      await eventually(() => seen.statusChange.length === 3, 'three changes');
      await new Promise((r) => setTimeout(r, 30));
      expect(seen.statusChange.map((c) => c.seq)).to.deep.equal([1, 2, 3]);
      expect(seen.statusChange[0]).to.deep.equal({ seq: 1, id: 'm-1', data: change(1).data });
      expect(client.lastSeq).to.equal(3);
    });

    it('resumes from the last seq after a reconnect and skips the replayed overlap', async () => {
      const a = await h.server();
      const b = await h.server();
      const client = h.client({ urls: [a.url, b.url] });
      const changes = record(client, 'statusChange');
      await client.connect();
      const first = await a.connection(0);
      for (const seq of [1, 2, 3]) first.send(change(seq));
      await eventually(() => changes.length === 3, 'three changes');

      first.terminate();
      const second = await b.welcomed(0);
      expect(second.hello?.resume).to.deep.equal({ lastSeq: 3, epoch: 'e1' });
      for (const seq of [2, 3, 4]) second.send(change(seq));

      await eventually(() => changes.length === 4, 'the fourth change');
      expect(changes.map((c) => c.seq)).to.deep.equal([1, 2, 3, 4]);
    });

    it('is not emitted past a seq gap: the client reconnects and resumes before the gap', async () => {
      const { server, conn, seen } = await h.connected(['statusChange', 'error']);

      conn.send(change(1));
      conn.send(change(3));

      const again = await server.welcomed(1);
      expect(again.hello?.resume).to.deep.equal({ lastSeq: 1, epoch: 'e1' });
      again.send(change(2));
      again.send(change(3));
      await eventually(() => seen.statusChange.length === 3, 'three changes');
      expect(seen.statusChange.map((c) => c.seq)).to.deep.equal([1, 2, 3]);
      expect(seen.error[0]).to.be.instanceOf(ProtocolError);
      expect(seen.error[0]?.message).to.equal('seq gap: expected 2, got 3');
    });
  });

  describe('resync', () => {
    it('is emitted for a resync frame, and changes continue after its toSeq', async () => {
      const { server, conn, seen } = await h.connected(['statusChange', 'resync']);

      conn.send(change(1));
      conn.send({ type: 'resync', data: { fromSeq: 1, toSeq: 5 } });
      conn.send(change(6));

      await eventually(() => seen.statusChange.length === 2, 'two changes');
      expect(seen.resync).to.deep.equal([{ fromSeq: 1, toSeq: 5 }]);
      expect(seen.statusChange.map((c) => c.seq)).to.deep.equal([1, 6]);
      expect(server.connections).to.have.length(1);
    });

    it('is emitted when the welcome resumes below the client lastSeq, and adopts it', async () => {
      const { client, conn, seen } = await h.connected(['statusChange', 'resync'], {
        server: { welcomeSeq: () => 3 },
        client: { lastSeq: 10 },
      });

      conn.send(change(4));

      await eventually(() => seen.statusChange.length === 1, 'the change after the reset');
      expect(seen.resync).to.deep.equal([{ fromSeq: 3, toSeq: 10 }]);
      expect(client.lastSeq).to.equal(4);
    });
  });

  describe('error', () => {
    it('is emitted for an invalid frame, and the connection stays usable', async () => {
      const { server, conn, seen } = await h.connected(['error', 'statusChange']);
      const errors = seen.error;

      conn.sendRaw('{"type":"status_change","seq":"one"}');
      conn.sendRaw('not json');
      conn.send(change(1));

      await eventually(() => seen.statusChange.length === 1, 'the valid change');
      expect(errors).to.have.length(2);
      expect(errors.every((e) => e instanceof ProtocolError && e.code === 'PROTOCOL')).to.equal(
        true,
      );
      expect(errors[0]?.message).to.match(/invalid frame: seq: /);
      expect(server.connections).to.have.length(1);
    });

    it('is emitted for an error frame that answers no pending request', async () => {
      const { conn, seen } = await h.connected(['error']);

      conn.send({ type: 'error', code: 'RATE_LIMITED', message: 'too many messages; slow down' });

      await eventually(() => seen.error.length === 1, 'the error');
      expect(seen.error[0]).to.include({ code: 'RATE_LIMITED', retryable: true });
    });
  });

  describe('presence', () => {
    it('is emitted with the frame data', async () => {
      const { conn, seen } = await h.connected(['presence']);
      const data = { clientId: 'E003', online: true, serverId: 'serverA' };

      conn.send({ type: 'presence', data });

      await eventually(() => seen.presence.length === 1, 'presence');
      expect(seen.presence[0]).to.deep.equal(data);
    });
  });
});
