// No services needed: an in-process `ws` server plays the socket server.
import { expect } from 'chai';
import { ExamRelayClient, RequestError, TokenError } from '../../../src/client/index.js';
import { eventually } from '../../helpers/eventually.js';
import { Harness, WebSocket, deadUrl, record } from './fake-server.js';

/** Sets (or with undefined, removes) globalThis.WebSocket; returns the undo. */
function replaceGlobalWebSocket(value: unknown): () => void {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  if (value === undefined) delete (globalThis as { WebSocket?: unknown }).WebSocket;
  else
    Object.defineProperty(globalThis, 'WebSocket', { value, configurable: true, writable: true });
  return () => {
    if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
    else delete (globalThis as { WebSocket?: unknown }).WebSocket;
  };
}

describe('ExamRelayClient', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  describe('#connect', () => {
    it('says hello with resume.lastSeq 0 on a first connect and resolves with the welcome', async () => {
      const server = await h.server({ name: 'serverA' });
      const client = h.client({ urls: [server.url] });
      const welcomes = record(client, 'welcome');
      const connected = record(client, 'connected');

      const welcome = await client.connect();

      const conn = await server.connection(0);
      expect(conn.hello).to.deep.equal({ type: 'hello', token: 'tok', resume: { lastSeq: 0 } });
      expect(welcome.serverId).to.equal('serverA');
      expect(welcomes).to.deep.equal([welcome]);
      expect(connected).to.deep.equal([{ url: server.url, serverId: 'serverA', lastSeq: 0 }]);
      expect(client.status).to.equal('open');
    });

    it('resumes from the lastSeq option', async () => {
      const server = await h.server();
      const client = h.client({ urls: [server.url], lastSeq: 41 });
      await client.connect();
      expect((await server.connection(0)).hello?.resume).to.deep.equal({ lastSeq: 41 });
      expect(client.lastSeq).to.equal(41);
    });

    it('calls the token function again on each connect', async () => {
      const server = await h.server();
      let calls = 0;
      const client = h.client({ urls: [server.url], token: async () => `tok-${++calls}` });
      await client.connect();
      (await server.connection(0)).terminate();
      const second = await server.welcomed(1);
      expect((await server.connection(0)).hello?.token).to.equal('tok-1');
      expect(second.hello?.token).to.equal('tok-2');
    });

    it('emits a TokenError and tries again later when the token function fails', async () => {
      const server = await h.server();
      let calls = 0;
      const client = h.client({
        urls: [server.url],
        token: () => {
          if (++calls === 1) throw new Error('auth service down');
          return 'tok';
        },
      });
      const errors = record(client, 'error');
      const disconnected = record(client, 'disconnected');

      await client.connect();

      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(TokenError).and.include({ code: 'TOKEN' });
      expect((errors[0]?.cause as Error).message).to.equal('auth service down');
      expect(disconnected[0]).to.include({ reason: 'no token', willReconnect: true });
      expect(server.connections).to.have.length(1);
    });

    it('moves to the next URL after a refused connection', async () => {
      const dead = await deadUrl();
      const server = await h.server({ name: 'serverB' });
      const client = h.client({ urls: [dead, server.url] });
      const disconnected = record(client, 'disconnected');

      const welcome = await client.connect();

      expect(welcome.serverId).to.equal('serverB');
      expect(disconnected).to.have.length(1);
      expect(disconnected[0]).to.include({ url: dead, willReconnect: true });
    });

    it('moves to the next URL when the connection drops, wrapping around the list', async () => {
      const a = await h.server({ name: 'serverA' });
      const b = await h.server({ name: 'serverB' });
      const client = h.client({ urls: [a.url, b.url] });
      const connected = record(client, 'connected');
      await client.connect();

      (await a.connection(0)).terminate();
      await eventually(() => connected.length === 2, 'second connect');
      (await b.connection(0)).terminate();
      await eventually(() => connected.length === 3, 'third connect');

      expect(connected.map((c) => c.serverId)).to.deep.equal(['serverA', 'serverB', 'serverA']);
    });

    it('moves to the next URL on a reconnect frame', async () => {
      const a = await h.server({ name: 'serverA' });
      const b = await h.server({ name: 'serverB' });
      const client = h.client({ urls: [a.url, b.url] });
      const disconnected = record(client, 'disconnected');
      const connected = record(client, 'connected');
      await client.connect();

      const conn = await a.connection(0);
      conn.send({ type: 'reconnect', data: { reason: 'server shutting down' } });
      conn.close(1001, 'server shutting down');

      await eventually(() => connected.length === 2, 'reconnect to serverB');
      expect(connected[1]?.serverId).to.equal('serverB');
      expect(disconnected[0]).to.include({
        url: a.url,
        code: 1001,
        reason: 'server shutting down',
        willReconnect: true,
      });
      expect(a.connections).to.have.length(1);
    });

    it('waits a full-jitter backoff that doubles per failure up to the cap, and starts over after a connection that lasted capMs', async () => {
      const dead = [await deadUrl(), await deadUrl(), await deadUrl()];
      const server = await h.server();
      // random() = 0.5: each delay is half its ceiling min(capMs, baseMs * 2^failures).
      const client = h.client({
        urls: [...dead, server.url],
        backoff: { baseMs: 20, capMs: 60 },
        random: () => 0.5,
      });
      const disconnected = record(client, 'disconnected');
      await client.connect();
      await new Promise((r) => setTimeout(r, 70));
      (await server.connection(0)).terminate();
      await eventually(() => disconnected.length === 5, 'five disconnects');

      expect(disconnected.map((d) => d.delayMs)).to.deep.equal([10, 20, 30, 10, 20]);
    });

    it('keeps backing off from a server that drops each connection right after its welcome', async () => {
      const server = await h.server();
      const client = h.client({
        urls: [server.url],
        backoff: { baseMs: 20, capMs: 1000 },
        random: () => 0.5,
      });
      const disconnected = record(client, 'disconnected');
      client.on('welcome', () => server.connections.at(-1)?.close(1013, 'broker unavailable'));
      await client.connect();
      await eventually(() => disconnected.length === 4, 'four disconnects');

      expect(disconnected.map((d) => d.code)).to.deep.equal([1013, 1013, 1013, 1013]);
      expect(disconnected.map((d) => d.delayMs)).to.deep.equal([10, 20, 40, 80]);
    });

    it('gives up on a server that does not welcome within connectTimeoutMs', async () => {
      const silent = await h.server({ autoWelcome: false });
      const server = await h.server({ name: 'serverB' });
      const client = h.client({ urls: [silent.url, server.url], connectTimeoutMs: 100 });
      const disconnected = record(client, 'disconnected');

      const welcome = await client.connect();

      expect(welcome.serverId).to.equal('serverB');
      expect(disconnected[0]?.code).to.equal(undefined);
      expect(disconnected[0]?.reason).to.match(/no welcome within 100 ms/);
    });

    it('stops and emits unauthorized when the server closes with 4401', async () => {
      const server = await h.server({ autoWelcome: false });
      const client = h.client({ urls: [server.url, server.url] });
      const unauthorized = record(client, 'unauthorized');
      const connecting = client.connect();
      const pending = client.changeStatus({ examId: 'EXAM1' }, 'STARTED');
      const conn = await server.welcomed(0);
      conn.close(4401, 'unauthorized');

      const error: unknown = await connecting.catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RequestError).and.include({ code: 'UNAUTHORIZED' });
      const rejected: unknown = await pending.catch((e: unknown) => e);
      expect(rejected).to.be.instanceOf(RequestError).and.include({ code: 'UNAUTHORIZED' });
      expect(unauthorized).to.deep.equal([{ url: server.url, reason: 'unauthorized' }]);
      expect(client.status).to.equal('stopped');
      await new Promise((r) => setTimeout(r, 150));
      expect(server.connections).to.have.length(1);
    });

    it('starts again after unauthorized when called again, with a fresh token', async () => {
      let calls = 0;
      const server = await h.server();
      const client = h.client({ urls: [server.url], token: () => `tok-${++calls}` });
      await client.connect();
      (await server.connection(0)).close(4401, 'token expired');
      await eventually(() => client.status === 'stopped', 'stopped');

      await client.connect();

      expect((await server.connection(1)).hello?.token).to.equal('tok-2');
    });

    it('uses globalThis.WebSocket when no WebSocket is given', async () => {
      const server = await h.server();
      const restore = replaceGlobalWebSocket(WebSocket);
      try {
        const client = h.client({ urls: [server.url], WebSocket: undefined });
        await client.connect();
      } finally {
        restore();
      }
    });
  });

  describe('constructor', () => {
    it('throws a TypeError naming WebSocket when the runtime has none and none is given', () => {
      // Node 20 has no global WebSocket; Node 22 has one, so take it away for this test.
      const restore = replaceGlobalWebSocket(undefined);
      try {
        expect(() => new ExamRelayClient({ urls: ['ws://127.0.0.1:1/ws'], token: 't' })).to.throw(
          TypeError,
          /^WebSocket: /,
        );
      } finally {
        restore();
      }
    });

    it('throws a TypeError naming the URL that is not ws:// or wss://', () => {
      expect(
        () =>
          new ExamRelayClient({
            urls: ['ws://127.0.0.1:1/ws', 'http://127.0.0.1:2/ws'],
            token: 't',
            WebSocket,
          }),
      ).to.throw(TypeError, /^urls\[1\]: /);
      expect(() => new ExamRelayClient({ urls: [], token: 't', WebSocket })).to.throw(/^urls: /);
    });

    it('throws a TypeError naming a timing that is not a positive number', () => {
      expect(
        () =>
          new ExamRelayClient({
            urls: ['ws://127.0.0.1:1/ws'],
            token: 't',
            WebSocket,
            backoff: { baseMs: -1 },
          }),
      ).to.throw(TypeError, /^backoff\.baseMs: /);
    });
  });
});
