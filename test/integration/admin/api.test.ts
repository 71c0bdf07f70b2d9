// Needs RabbitMQ 3.10+ at AMQP_URL and Redis at REDIS_URL (localhost defaults). Runs the admin
// in-process in a random namespace; Redis state is written with a raw client, as the state
// manager would have written it.
import { expect } from 'chai';
import { ADMIN_TOKEN, startAdminHarness, type AdminHarness } from '../../helpers/admin-harness.js';
import { eventually } from '../../helpers/eventually.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('admin API', function () {
  this.timeout(20_000);
  let h: AdminHarness;
  const now = () => new Date().toISOString();

  before(async () => {
    h = await startAdminHarness();
  });
  after(async () => {
    await h?.close();
  });

  describe('authentication', () => {
    it('answers 401 with a basic challenge when the token is missing', async () => {
      const res = await h.api('/api/cluster', { auth: false });
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/^Basic realm="exam-relay"/);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
        'UNAUTHORIZED',
      );
    });

    it('answers 401 to a wrong bearer token, a wrong password and a wrong user', async () => {
      for (const authorization of [
        'Bearer wrong-token-0123456789',
        basic('admin', 'wrong'),
        basic('root', ADMIN_TOKEN),
      ]) {
        const res = await h.api('/', { headers: { authorization } });
        expect(res.status, authorization).to.equal(401);
      }
    });

    it('accepts basic auth as admin and the bearer token', async () => {
      expect(
        (await h.api('/', { headers: { authorization: basic('admin', ADMIN_TOKEN) } })).status,
      ).to.equal(200);
      expect((await h.api('/api/cluster')).status).to.equal(200);
    });

    it('never writes the token to its log', async () => {
      await h.api('/api/cluster', { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
      expect(h.logs.join('\n')).to.not.include(ADMIN_TOKEN);
    });
  });

  describe('GET /healthz, /readyz, /metrics', () => {
    it('answers without the token', async () => {
      expect((await h.api('/healthz', { auth: false })).status).to.equal(200);
      expect((await h.api('/readyz', { auth: false })).status).to.equal(200);
      const metrics = await h.api('/metrics', { auth: false });
      expect(metrics.status).to.equal(200);
      const text = await metrics.text();
      expect(text).to.include('exam_relay_admin_http_requests_total');
      expect(text).to.include('exam_relay_admin_auth_failures_total');
      expect(text).to.include('exam_relay_admin_queue_messages');
    });
  });

  describe('GET /', () => {
    it('serves the page and its assets with a strict content security policy', async () => {
      const page = await h.api('/');
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
      expect(await page.text()).to.include('exam-relay');
      const script = await h.api('/assets/admin.js');
      expect(script.headers.get('content-type')).to.match(/^text\/javascript/);
      expect((await h.api('/assets/admin.css')).status).to.equal(200);
    });

    it('answers 404 to an unknown path and 405 to a wrong method', async () => {
      expect((await h.api('/api/nothing')).status).to.equal(404);
      const res = await h.api('/api/cluster', { method: 'POST' });
      expect(res.status).to.equal(405);
      expect(res.headers.get('allow')).to.equal('GET');
    });
  });

  describe('GET /api/cluster', () => {
    it('lists servers with status, clients and last heartbeat, and state managers', async () => {
      const k = h.keys;
      await h.redis
        .multi()
        .sadd(k.servers(), 'serverA', 'serverB')
        .hset(
          k.serverConnections('serverA'),
          'status',
          'ACTIVE',
          'lastSync',
          now(),
          'client:E001',
          now(),
        )
        .hset(
          k.serverConnections('serverB'),
          'status',
          'DOWN',
          'lastSync',
          '2024-01-01T00:00:00.000Z',
        )
        .hset(k.stateManagers(), 'sm-live', now(), 'sm-gone', '2024-01-01T00:00:00.000Z')
        .exec();
      type View = {
        source: string;
        servers: {
          id: string;
          status: string;
          connections: number;
          clients: string[];
          lastHeartbeat: string;
          queue: string;
        }[];
        stateManagers: { id: string; alive: boolean }[];
      };
      const before = (await (await h.api('/api/cluster')).json()) as View;
      // No sync_state yet: the connection lists come from Redis.
      expect(before.source).to.equal('redis');
      expect(before.servers.map((s) => [s.id, s.status, s.clients])).to.deep.equal([
        ['serverA', 'ACTIVE', ['E001']],
        ['serverB', 'DOWN', []],
      ]);
      expect(before.stateManagers).to.deep.include({
        id: 'sm-gone',
        alive: false,
        lastHeartbeat: '2024-01-01T00:00:00.000Z',
      });
      expect(before.stateManagers.find((m) => m.id === 'sm-live')?.alive).to.equal(true);

      await h.publish(h.topology.names.broadcastExchange, '', {
        type: 'sync_state',
        data: {
          servers: {
            serverA: { connections: ['E001', 'S001'], status: 'ACTIVE' },
            serverB: { connections: [], status: 'DOWN' },
          },
          timestamp: now(),
        },
      });
      const after = await eventually(async () => {
        const view = (await (await h.api('/api/cluster')).json()) as View;
        return view.source === 'sync_state' ? view : undefined;
      }, 'the view from sync_state');
      const a = after.servers.find((s) => s.id === 'serverA');
      expect(a).to.include({ connections: 2, queue: `${h.ns}.serverA_queue` });
      expect(a?.clients).to.deep.equal(['E001', 'S001']);
      expect(a?.lastHeartbeat).to.match(/^\d{4}-/);
    });

    it('ignores a sync_state that fails the schema', async () => {
      await h.publish(h.topology.names.broadcastExchange, '', {
        type: 'sync_state',
        data: { servers: 'x' },
      });
      await eventually(
        async () => h.logs.some((l) => l.includes('invalid sync_state ignored')),
        'the log line',
      );
      const metrics = await (await h.api('/metrics', { auth: false })).text();
      expect(metrics).to.match(/exam_relay_admin_sync_states_total\{result="invalid"\} 1/);
    });
  });

  describe('GET /api/exams/:examId', () => {
    before(async () => {
      const k = h.keys;
      await h.redis
        .multi()
        .sadd(k.examExaminees('EXAM1'), 'E001', 'E002')
        .sadd(k.examSupervisors('EXAM1'), 'S001')
        .hset(k.clientRoute('E001'), {
          serverId: 'serverA',
          lastConnection: now(),
          connId: 'c1',
          role: 'examinee',
          examId: 'EXAM1',
        })
        .hset(k.clientRoute('S001'), {
          serverId: 'serverB',
          lastConnection: now(),
          connId: 'c2',
          role: 'supervisor',
          examId: 'EXAM1',
        })
        .hset(
          k.examineeStatus('E001'),
          'status',
          'STARTED',
          'supervisorId',
          'S001',
          'timestamp',
          '2024-01-01T09:00:00.000Z',
          'examId',
          'EXAM1',
          'requestId',
          'm-1',
        )
        .set(k.clientSeq('E001'), '3')
        .exec();
    });

    it('lists examinees with presence, status and seq, and supervisors', async () => {
      const res = await h.api('/api/exams/EXAM1');
      expect(res.status).to.equal(200);
      const view = (await res.json()) as {
        examinees: object[];
        supervisors: object[];
        summary: object;
      };
      expect(view.examinees).to.deep.equal([
        {
          clientId: 'E001',
          online: true,
          serverId: 'serverA',
          status: 'STARTED',
          statusAt: '2024-01-01T09:00:00.000Z',
          supervisorId: 'S001',
          requestId: 'm-1',
          lastSeq: 3,
        },
        {
          clientId: 'E002',
          online: false,
          serverId: null,
          status: null,
          statusAt: null,
          supervisorId: null,
          requestId: null,
          lastSeq: 0,
        },
      ]);
      expect(view.supervisors).to.deep.equal([
        { clientId: 'S001', online: true, serverId: 'serverB' },
      ]);
      expect(view.summary).to.deep.equal({
        examinees: 2,
        online: 1,
        byStatus: { STARTED: 1, NONE: 1 },
      });
    });

    it('answers 404 for an exam nobody joined and 400 for a malformed id', async () => {
      expect((await h.api('/api/exams/NOPE')).status).to.equal(404);
      expect((await h.api('/api/exams/bad%20id')).status).to.equal(400);
    });
  });

  describe('GET /api/exams', () => {
    it('lists the exams someone joined', async () => {
      const res = (await (await h.api('/api/exams')).json()) as {
        exams: string[];
        complete: boolean;
      };
      expect(res).to.deep.equal({ exams: ['EXAM1'], complete: true });
    });
  });

  describe('GET /api/clients/:clientId', () => {
    it('shows route, presence, status and last seq of an online client', async () => {
      const connectedAt = now();
      await h.redis.hset(h.keys.serverConnections('serverA'), 'client:E001', connectedAt);
      const view = (await (await h.api('/api/clients/E001')).json()) as Record<string, unknown>;
      expect(view).to.deep.include({
        clientId: 'E001',
        online: true,
        lastSeq: 3,
        historyFrames: 0,
      });
      expect(view.route).to.include({
        serverId: 'serverA',
        role: 'examinee',
        examId: 'EXAM1',
        connId: 'c1',
      });
      expect(view.server).to.deep.equal({ status: 'ACTIVE', connectedAt });
      expect(view.status).to.include({ status: 'STARTED', supervisorId: 'S001', requestId: 'm-1' });
    });

    it('shows a known client that is offline', async () => {
      await h.redis.set(h.keys.clientSeq('E009'), '5');
      const view = (await (await h.api('/api/clients/E009')).json()) as Record<string, unknown>;
      expect(view).to.include({ online: false, route: null, lastSeq: 5, status: null });
    });

    it('answers 404 for an unknown client and 400 for a malformed id', async () => {
      expect((await h.api('/api/clients/NOBODY')).status).to.equal(404);
      expect((await h.api('/api/clients/a%3Ab')).status).to.equal(400);
    });
  });

  describe('GET /api/requests/:requestId', () => {
    before(async () => {
      await h.redis.hset(h.keys.request('S001', 'm-1'), {
        seqs: 'E001:3,E002:1,S001:7',
        ack: JSON.stringify({
          examinees: ['E001', 'E002'],
          data: {
            supervisorId: 'S001',
            examId: 'EXAM1',
            status: 'STARTED',
            timestamp: '2024-01-01T09:00:00.000Z',
          },
        }),
        trace: JSON.stringify({
          sourceServer: 'serverB',
          stateManager: 'sm-1',
          processedAt: '2024-01-01T09:00:00.005Z',
        }),
        routes: 'E001:serverA,E002:,S001:serverB',
      });
      await h.redis.expire(h.keys.request('S001', 'm-1'), 3600);
    });

    it('traces a request: received by, processed by, routed to, pending', async () => {
      const res = await h.api('/api/requests/m-1');
      expect(res.status).to.equal(200);
      const { traces } = (await res.json()) as { traces: Record<string, unknown>[] };
      expect(traces).to.have.length(1);
      expect(traces[0]).to.deep.include({
        supervisorId: 'S001',
        requestId: 'm-1',
        receivedBy: 'serverB',
        processedBy: 'sm-1',
        processedAt: '2024-01-01T09:00:00.005Z',
        examinees: ['E001', 'E002'],
        pending: ['E002'],
        servers: [
          { serverId: 'serverA', clients: ['E001'] },
          { serverId: 'serverB', clients: ['S001'] },
        ],
      });
      expect(traces[0]?.recipients).to.deep.include({
        clientId: 'S001',
        role: 'supervisor',
        seq: 7,
        routedTo: 'serverB',
      });
      expect(traces[0]?.expiresInSeconds).to.be.within(3500, 3600);
    });

    it('finds the request of one supervisor when given supervisorId', async () => {
      expect((await h.api('/api/requests/m-1?supervisorId=S001')).status).to.equal(200);
      expect((await h.api('/api/requests/m-1?supervisorId=S002')).status).to.equal(404);
    });

    it('answers 404 for an unknown request', async () => {
      const res = await h.api('/api/requests/never-sent');
      expect(res.status).to.equal(404);
    });
  });
});
