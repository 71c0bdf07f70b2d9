// Needs RabbitMQ 3.10+ at AMQP_URL and Redis at REDIS_URL (localhost defaults). The RabbitMQ
// management API is played by a local HTTP server, so the plugin need not be enabled.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import amqp, { type ChannelModel } from 'amqplib';
import { AMQP_URL } from '../../helpers/env.js';
import { TOPOLOGY_FILE } from '../../helpers/processes.js';
import { TopologyError } from '../../../src/shared/errors.js';
import { startAdminHarness, type AdminHarness } from '../../helpers/admin-harness.js';
import { eventually } from '../../helpers/eventually.js';

interface Stat {
  name: string;
  kind: string;
  serverId: string | null;
  state: string;
  messages: number | null;
  consumers: number | null;
  publishRate: number | null;
  deliverRate: number | null;
  depthRate: number | null;
}
interface Sample {
  at: string;
  queues: Stat[];
  rates: { source: string; note: string };
}

/** A stand-in for GET /api/queues/%2F/{name} of the management API. */
async function fakeManagement(queues: () => Record<string, object>): Promise<Server> {
  const server = createServer((req, res) => {
    const prefix = '/api/queues/%2F/';
    const name = req.url?.startsWith(prefix)
      ? decodeURIComponent(req.url.slice(prefix.length))
      : '';
    const queue = queues()[name];
    if (!queue) return void res.writeHead(404).end('{"error":"Object Not Found"}');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ name, ...queue }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('admin queues and topology', function () {
  this.timeout(20_000);
  let h: AdminHarness;
  let management: Server;
  let holder: ChannelModel;

  before(async () => {
    let ns = '';
    management = await fakeManagement(() => ({
      [`${ns}.status_queue`]: {
        messages: 999,
        consumers: 42,
        message_stats: { publish_details: { rate: 2.5 }, deliver_get_details: { rate: 1.5 } },
      },
      [`${ns}.serverA_queue`]: { messages: 7, consumers: 1 },
    }));
    const port = (management.address() as AddressInfo).port;
    h = await startAdminHarness({
      config: { managementUrl: `http://guest:guest@127.0.0.1:${port}` },
    });
    ns = h.ns;
    await h.redis.sadd(h.keys.servers(), 'serverA', 'serverB');
    // serverA's queue, held exclusively by "its server" (another connection).
    holder = await amqp.connect(AMQP_URL);
    const ch = await holder.createChannel();
    await ch.assertQueue(h.topology.serverQueue('serverA').name, {
      exclusive: true,
      autoDelete: true,
    });
    for (const n of [1, 2]) {
      await h.publish(h.topology.names.statusExchange, h.topology.names.statusRoutingKey, { n });
    }
  });
  after(async () => {
    await holder?.close();
    await h?.close();
    management?.close();
  });

  /** The first sample that shows status_queue with 2 messages. */
  const settled = (harness: AdminHarness) =>
    eventually(async () => {
      const sample = (await (await harness.api('/api/queues')).json()) as Sample;
      const status = sample.queues.find((q) => q.kind === 'status');
      return status?.messages === 2 ? sample : undefined;
    }, 'two messages in the status queue');

  describe('GET /api/queues', () => {
    it('gives exact depth and consumers by passive declare, and rates from the management API', async () => {
      const sample = await settled(h);
      expect(sample.rates.source).to.equal('management');
      const [status, dlq, serverA, serverB] = sample.queues;
      expect(status).to.include({
        name: `${h.ns}.status_queue`,
        state: 'present',
        messages: 2,
        consumers: 0,
        publishRate: 2.5,
        deliverRate: 1.5,
      });
      expect(dlq).to.include({ kind: 'dead-letter', state: 'present', messages: 0 });
      // AMQP cannot inspect another connection's exclusive queue; the management API can.
      expect(serverA).to.include({
        kind: 'server',
        serverId: 'serverA',
        state: 'exclusive',
        messages: 7,
        consumers: 1,
      });
      expect(serverB).to.include({ serverId: 'serverB', state: 'missing', messages: null });
      // The next sample finds the same depth (nothing consumes status_queue here): no change.
      const next = await eventually(async () => {
        const later = (await (await h.api('/api/queues')).json()) as Sample;
        return later.at !== sample.at ? later : undefined;
      }, 'the next sample');
      expect(next.queues.find((q) => q.kind === 'status')).to.include({
        messages: 2,
        depthRate: 0,
      });
    });

    it('says rates are n/a, and why, when the management API does not answer', async () => {
      const other = await startAdminHarness({
        ns: h.ns,
        declare: false,
        config: { managementUrl: 'http://guest:guest@127.0.0.1:1' },
      });
      try {
        const sample = await settled(other);
        expect(sample.rates.source).to.equal('samples');
        expect(sample.rates.note).to.match(
          /^message rates n\/a: management API not reachable at http:\/\/guest:\*\*\*@127\.0\.0\.1:1/,
        );
        expect(sample.queues[0]).to.include({ messages: 2, publishRate: null });
        expect(sample.queues[2]).to.include({ state: 'exclusive', messages: null });
      } finally {
        await other.close();
      }
    });

    it('exports the depths as metrics', async () => {
      const text = await (await h.api('/metrics', { auth: false })).text();
      expect(text).to.include(`exam_relay_admin_queue_messages{queue="${h.ns}.status_queue"} 2`);
    });
  });

  describe('GET /api/topology', () => {
    it('shows every entity of the file matching the broker', async () => {
      const view = (await (await h.api('/api/topology')).json()) as {
        ok: boolean;
        entities: { name: string; live: string }[];
        bindings: { live: string }[];
        bindingsChecked: boolean;
        bindingsReason: string;
      };
      expect(view.ok).to.equal(true);
      expect(view.entities.map((e) => e.live)).to.deep.equal(Array(6).fill('match'));
      // The fake management API has no /api/bindings: bindings stay unchecked, with the reason.
      expect(view.bindingsChecked).to.equal(false);
      expect(view.bindingsReason).to.include('HTTP 404');
      expect(view.bindings.map((b) => b.live)).to.deep.equal(['unchecked', 'unchecked']);
    });

    it('highlights drift: an inequivalent argument and a missing queue', async () => {
      const text = (await readFile(TOPOLOGY_FILE, 'utf8'))
        .replace('deliveryLimit: 5', 'deliveryLimit: 3')
        .replace('queues:\n', 'queues:\n  extra_queue:\n    type: classic\n');
      const drifted = await startAdminHarness({ ns: h.ns, declare: false, topologyText: text });
      try {
        const view = (await (await drifted.api('/api/topology')).json()) as {
          ok: boolean;
          entities: { name: string; live: string; differences: object[] }[];
        };
        expect(view.ok).to.equal(false);
        const byName = Object.fromEntries(view.entities.map((e) => [e.name, e]));
        expect(byName[`${h.ns}.status_queue`]).to.deep.include({
          live: 'differs',
          differences: [{ property: 'x-delivery-limit', live: '5', file: '3' }],
        });
        expect(byName[`${h.ns}.extra_queue`]?.live).to.equal('missing');
        expect(byName[`${h.ns}.relay.status`]?.live).to.equal('match');
      } finally {
        await drifted.close();
      }
    });
  });

  describe('createAdmin', () => {
    it('refuses a dead-letter queue with a delivery limit, which browsing would trip', async () => {
      const text = (await readFile(TOPOLOGY_FILE, 'utf8')).replace(
        '  status_queue.dlq:\n    type: quorum\n',
        '  status_queue.dlq:\n    type: quorum\n    deliveryLimit: 10\n',
      );
      const error = await startAdminHarness({ ns: h.ns, declare: false, topologyText: text }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).to.be.instanceOf(TopologyError);
      expect((error as Error).message).to.include('x-delivery-limit 10');
    });
  });
});
