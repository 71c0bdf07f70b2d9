// Needs RabbitMQ 3.10+ at AMQP_URL and Redis at REDIS_URL (localhost defaults). Runs the admin
// in-process in a random namespace and reads its server-sent events over HTTP.
import { expect } from 'chai';
import { startAdminHarness, type AdminHarness } from '../../helpers/admin-harness.js';
import { eventually } from '../../helpers/eventually.js';

interface Event {
  event: string;
  data: Record<string, unknown>;
}

/** An open `GET /api/events` stream, parsed into events as they arrive. */
class Stream {
  readonly events: Event[] = [];
  private readonly abort = new AbortController();

  static async open(h: AdminHarness, query = ''): Promise<Stream> {
    const stream = new Stream();
    const res = await h.api(`/api/events${query}`, { signal: stream.abort.signal });
    if (res.status !== 200 || !res.body) throw new Error(`events answered ${res.status}`);
    expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
    void stream.read(res.body);
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) this.events.push({ event, data: JSON.parse(data) as Event['data'] });
        }
      }
    } catch {
      // aborted by close()
    }
  }

  of(event: string): Event[] {
    return this.events.filter((e) => e.event === event);
  }

  /** The first event (seen or to come) of this type matching, within `timeoutMs`. */
  next(
    event: string,
    match: (data: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 3000,
  ) {
    return eventually(
      async () => this.events.find((e) => e.event === event && match(e.data))?.data,
      `event ${event}`,
      timeoutMs,
    );
  }

  close(): void {
    this.abort.abort();
  }
}

describe('admin live feed', function () {
  this.timeout(20_000);
  let h: AdminHarness;
  const streams: Stream[] = [];
  const open = async (query = '') => {
    const stream = await Stream.open(h, query);
    streams.push(stream);
    return stream;
  };
  type Examinee = { clientId: string; status: string | null; online: boolean };

  before(async () => {
    h = await startAdminHarness();
    const k = h.keys;
    await h.redis
      .multi()
      .sadd(k.examExaminees('EXAM1'), 'E001', 'E002')
      .hset(k.clientRoute('E001'), {
        serverId: 'serverA',
        connId: 'c1',
        role: 'examinee',
        examId: 'EXAM1',
      })
      .exec();
  });
  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });
  after(async () => {
    await h?.close();
  });

  describe('GET /api/events', () => {
    it('answers 401 without the token and 400 to a malformed exam id', async () => {
      expect((await h.api('/api/events', { auth: false })).status).to.equal(401);
      expect((await h.api('/api/events?exam=a%20b')).status).to.equal(400);
    });

    it('sends hello, cluster, queues and health at once', async () => {
      const stream = await open();
      expect(await stream.next('hello')).to.deep.equal({
        namespace: h.ns,
        heartbeatIntervalMs: 1000,
      });
      expect(await stream.next('cluster')).to.have.property('servers');
      expect(await stream.next('queues')).to.have.property('queues');
      expect(await stream.next('health')).to.include({
        amqp: 'ready',
        redis: 'ready',
        syncStateListener: 'ready',
      });
    });

    it('sends the cluster again as soon as a sync_state arrives', async () => {
      const stream = await open();
      await stream.next('cluster');
      await h.publish(h.topology.names.broadcastExchange, '', {
        type: 'sync_state',
        data: {
          servers: { serverZ: { connections: ['E042'], status: 'ACTIVE' } },
          timestamp: new Date().toISOString(),
        },
      });
      const cluster = await stream.next('cluster', (c) =>
        (c.servers as { id: string }[]).some((s) => s.id === 'serverZ'),
      );
      expect(
        (cluster.servers as { id: string; clients: string[] }[]).find((s) => s.id === 'serverZ')
          ?.clients,
      ).to.deep.equal(['E042']);
    });

    it('sends the watched exam, and again when an examinee status changes', async () => {
      const stream = await open('?exam=EXAM1');
      const first = await stream.next('exam');
      expect(
        (first.examinees as Examinee[]).map((e) => [e.clientId, e.online, e.status]),
      ).to.deep.equal([
        ['E001', true, null],
        ['E002', false, null],
      ]);
      const changedAt = Date.now();
      await h.redis.hset(
        h.keys.examineeStatus('E002'),
        'status',
        'PAUSED',
        'supervisorId',
        'S001',
        'timestamp',
        new Date().toISOString(),
      );
      await stream.next('exam', (v) => (v.examinees as Examinee[])[1]?.status === 'PAUSED');
      expect(Date.now() - changedAt).to.be.below(1500);
    });

    it('does not send unchanged data again', async () => {
      const stream = await open('?exam=EXAM1');
      await stream.next('exam');
      await new Promise((r) => setTimeout(r, 1000)); // five poll rounds
      expect(stream.of('exam')).to.have.length(1);
      expect(stream.of('hello')).to.have.length(1);
    });

    it('sends the watched client, or why it cannot', async () => {
      const known = await open('?client=E001');
      expect(await known.next('client')).to.include({ clientId: 'E001', online: false });
      const unknown = await open('?client=NOBODY');
      expect((await unknown.next('client')).error).to.include('no client NOBODY');
    });

    it('counts open streams in its metrics', async () => {
      await open();
      await open();
      const gauge = async () =>
        /exam_relay_admin_event_streams (\d+)/.exec(
          await (await h.api('/metrics', { auth: false })).text(),
        )?.[1];
      expect(await gauge()).to.equal('2');
      for (const s of streams.splice(0)) s.close();
      await eventually(async () => (await gauge()) === '0', 'the gauge at 0');
    });
  });
});
