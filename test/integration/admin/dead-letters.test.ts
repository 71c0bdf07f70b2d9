// Needs RabbitMQ 3.10+ at AMQP_URL and Redis at REDIS_URL (localhost defaults). Runs the admin
// in-process in a random namespace with no state manager, so replays stay in status_queue where
// a raw client reads them.
import { expect } from 'chai';
import type { ConsumeMessage } from 'amqplib';
import { startAdminHarness, type AdminHarness } from '../../helpers/admin-harness.js';
import { requeueUntilDeadLettered, takeAll } from '../../helpers/amqp-take.js';

interface Letter {
  id: string;
  reason: string;
  source: string;
  queue: string | null;
  summary: string;
  body: string;
}
interface List {
  depth: number;
  messages: Letter[];
  truncated: boolean;
}
interface Result {
  action: string;
  done: string[];
  missing: string[];
  failed: { id: string; error: string }[];
  remaining: number;
}

const change = (requestId: string) => ({
  type: 'route_message',
  data: {
    sourceServer: 'serverB',
    targetServer: 'state-manager',
    messageType: 'status_change',
    requestId,
    payload: {
      supervisorId: 'S001',
      examId: 'EXAM1',
      targetExamineeId: 'E001',
      status: 'PAUSED',
      timestamp: '2024-01-01T09:00:00.000Z',
    },
  },
});

/** Stands for a socket server's signature of the body (only its presence matters here). */
const SIGNED = 'c2lnbmVkLWJ5LXNlcnZlckI';

describe('admin dead letters', function () {
  this.timeout(20_000);
  let h: AdminHarness;
  let names: AdminHarness['topology']['names'];

  const list = async (limit = 100) =>
    (await (await h.api(`/api/dead-letters?limit=${limit}`)).json()) as List;
  const post = async (path: string, body?: object) => {
    const res = await h.api(path, {
      method: 'POST',
      ...(body
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    return { status: res.status, body: (await res.json()) as Result };
  };
  /** Takes (and acks) every message of a queue with a raw channel (status_queue refuses basic.get). */
  const drain = (queue: string): Promise<ConsumeMessage[]> => takeAll(h.model, queue);
  const depth = async (queue: string) => {
    const ch = await h.model.createChannel();
    const { messageCount } = await ch.checkQueue(queue);
    await ch.close();
    return messageCount;
  };

  /** Parks four dead letters: refused by the state manager (2), and by the broker (1), in order. */
  async function park(): Promise<void> {
    await h.publish(names.deadLetterExchange, '', '{"type":"route_message","data":{oops', {
      'x-relay-reason': 'invalid message: not JSON',
      'x-relay-source-queue': names.statusQueue,
    });
    await h.publish(names.deadLetterExchange, '', change('dl-1'), {
      'x-relay-reason': 'parked by a test',
    });
    // A poison message requeued until the quorum queue's delivery limit dead-letters it.
    await h.publish(names.statusExchange, names.statusRoutingKey, change('poison'), {
      'x-relay-signature': SIGNED,
    });
    await requeueUntilDeadLettered(h.model, names.statusQueue, names.deadLetterQueue);
    await h.publish(names.deadLetterExchange, '', change('dl-2'), {
      'x-relay-reason': 'parked by a test',
    });
  }

  before(async () => {
    h = await startAdminHarness();
    names = h.topology.names;
  });
  beforeEach(async () => {
    await drain(names.deadLetterQueue);
    await drain(names.statusQueue);
    await park();
  });
  after(async () => {
    await h?.close();
  });

  describe('GET /api/dead-letters', () => {
    it('lists each dead letter oldest first with its reason and body', async () => {
      const { depth: n, messages, truncated } = await list();
      expect(n).to.equal(4);
      expect(truncated).to.equal(false);
      expect(messages.map((m) => [m.source, m.reason])).to.deep.equal([
        ['state-manager', 'invalid message: not JSON'],
        ['state-manager', 'parked by a test'],
        ['broker', 'delivery_limit'],
        ['state-manager', 'parked by a test'],
      ]);
      expect(messages[0]?.queue).to.equal(names.statusQueue);
      expect(messages[2]?.queue).to.equal(names.statusQueue);
      expect(messages[1]?.summary).to.equal(
        'status_change S001 -> E001 PAUSED (request dl-1) from serverB',
      );
      expect(JSON.parse(messages[3]?.body ?? '')).to.deep.equal(change('dl-2'));
    });

    it('loses and reorders nothing, and keeps ids, across listings', async () => {
      const first = await list();
      const second = await list();
      expect(second.messages.map((m) => m.id)).to.deep.equal(first.messages.map((m) => m.id));
      expect(new Set(first.messages.map((m) => m.id)).size).to.equal(4);
      expect(await depth(names.deadLetterQueue)).to.equal(4);
    });

    it('keeps the order through short listings, single actions and new arrivals', async () => {
      const ids = (await list()).messages.map((m) => m.id);
      await list(1);
      await post(`/api/dead-letters/${ids[2] ?? ''}/discard`);
      await list(2);
      await h.publish(names.deadLetterExchange, '', change('late'), { 'x-relay-reason': 'late' });
      await post(`/api/dead-letters/${ids[0] ?? ''}/replay`);
      const after = await list();
      expect(after.messages.map((m) => m.id).slice(0, 2)).to.deep.equal([ids[1], ids[3]]);
      expect(after.messages.map((m) => m.reason)).to.deep.equal([
        'parked by a test',
        'parked by a test',
        'late',
      ]);
    });

    it('lists at most limit messages and says there are more', async () => {
      const page = await list(2);
      expect(page).to.include({ depth: 4, truncated: true });
      expect(page.messages).to.have.length(2);
    });

    it('answers 400 to a bad limit', async () => {
      expect((await h.api('/api/dead-letters?limit=0')).status).to.equal(400);
    });
  });

  describe('POST /api/dead-letters/:id/replay', () => {
    it('publishes exactly that message to status_queue and removes it from the DLQ', async () => {
      const before = await list();
      const target = before.messages[1] as Letter;
      const { status, body } = await post(`/api/dead-letters/${target.id}/replay`);
      expect(status).to.equal(200);
      expect(body).to.deep.include({
        action: 'replay',
        done: [target.id],
        missing: [],
        failed: [],
      });

      const replayed = await drain(names.statusQueue);
      expect(replayed).to.have.length(1);
      expect(JSON.parse(replayed[0]?.content.toString() ?? '')).to.deep.equal(change('dl-1'));
      expect(replayed[0]?.properties.headers?.['x-relay-replayed-from']).to.equal(target.id);
      expect(replayed[0]?.properties.deliveryMode).to.equal(2);

      const after = await list();
      expect(after.messages.map((m) => m.id)).to.deep.equal(
        before.messages.filter((m) => m.id !== target.id).map((m) => m.id),
      );
    });

    it('carries the original signature, and adds none to an unsigned message', async () => {
      const { messages } = await list();
      const signed = messages[2] as Letter;
      const unsigned = messages[3] as Letter;
      await post('/api/dead-letters/replay', { ids: [signed.id, unsigned.id] });
      const replayed = await drain(names.statusQueue);
      expect(replayed.map((m) => m.properties.headers?.['x-relay-signature'])).to.deep.equal([
        SIGNED,
        undefined,
      ]);
    });

    it('reports an id that is not in the queue as missing and changes nothing', async () => {
      const { status, body } = await post(`/api/dead-letters/${'0'.repeat(24)}/replay`);
      expect(status).to.equal(200);
      expect(body).to.deep.include({ done: [], missing: ['0'.repeat(24)] });
      expect(await depth(names.deadLetterQueue)).to.equal(4);
      expect(await depth(names.statusQueue)).to.equal(0);
    });

    it('answers 400 to a malformed id', async () => {
      expect((await post('/api/dead-letters/xyz/replay')).status).to.equal(400);
    });

    it('refuses a cross-origin request', async () => {
      const { id } = (await list()).messages[0] as Letter;
      const res = await h.api(`/api/dead-letters/${id}/replay`, {
        method: 'POST',
        headers: { origin: 'http://evil.example' },
      });
      expect(res.status).to.equal(403);
      expect(await depth(names.deadLetterQueue)).to.equal(4);
    });
  });

  describe('POST /api/dead-letters/:id/discard', () => {
    it('removes exactly that message', async () => {
      const before = await list();
      const target = before.messages[0] as Letter;
      const { body } = await post(`/api/dead-letters/${target.id}/discard`);
      expect(body).to.deep.include({ action: 'discard', done: [target.id], remaining: 3 });
      expect((await list()).messages.map((m) => m.id)).to.deep.equal(
        before.messages.slice(1).map((m) => m.id),
      );
      expect(await depth(names.statusQueue)).to.equal(0);
    });
  });

  describe('POST /api/dead-letters/replay', () => {
    it('replays every dead letter in order when asked for all', async () => {
      const before = await list();
      const { body } = await post('/api/dead-letters/replay', { all: true });
      expect(body.done).to.deep.equal(before.messages.map((m) => m.id));
      expect(body.remaining).to.equal(0);
      const replayed = await drain(names.statusQueue);
      expect(replayed.map((m) => m.content.toString())).to.deep.equal(
        before.messages.map((m) => m.body),
      );
      expect(await depth(names.deadLetterQueue)).to.equal(0);
    });

    it('replays the listed ids only', async () => {
      const before = await list();
      const ids = [before.messages[3]?.id, before.messages[1]?.id] as string[];
      const { body } = await post('/api/dead-letters/replay', { ids });
      expect(body.done).to.have.members(ids);
      expect(await depth(names.statusQueue)).to.equal(2);
      expect((await list()).messages.map((m) => m.id)).to.deep.equal([
        before.messages[0]?.id,
        before.messages[2]?.id,
      ]);
    });

    it('answers 400 to a body that selects nothing', async () => {
      expect((await post('/api/dead-letters/replay', {})).status).to.equal(400);
      expect((await post('/api/dead-letters/replay', { all: false })).status).to.equal(400);
      expect((await post('/api/dead-letters/replay', { ids: ['nope'] })).status).to.equal(400);
    });
  });

  describe('POST /api/dead-letters/discard', () => {
    it('discards every dead letter when asked for all', async () => {
      const { body } = await post('/api/dead-letters/discard', { all: true });
      expect(body.done).to.have.length(4);
      expect(await depth(names.deadLetterQueue)).to.equal(0);
      expect(await depth(names.statusQueue)).to.equal(0);
      const metrics = await (await h.api('/metrics', { auth: false })).text();
      expect(metrics).to.match(
        /exam_relay_admin_dead_letter_actions_total\{action="discard"\} [1-9]/,
      );
    });
  });
});
