// Needs RabbitMQ 3.10+ at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672).
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import amqp, { type ChannelModel } from 'amqplib';
import { takeAll } from '../../helpers/amqp-take.js';
import { AMQP_URL, cleanTopology, randomNamespace } from '../../helpers/env.js';
import { TOPOLOGY_FILE } from '../../helpers/processes.js';
import { declareTopology } from '../../../src/topology/declare.js';
import { parseTopology, type Topology } from '../../../src/topology/load.js';
import { verifyTopology } from '../../../src/topology/verify.js';

describe('topology partitions', () => {
  let ns: string;
  let text: string;
  let model: ChannelModel;
  let raw: ChannelModel;
  const declared: Topology[] = [];

  /** The real file with `partitions: p`. */
  const withPartitions = (p: number) =>
    parseTopology(text.replace('partitions: 1', `partitions: ${p}`), ns);

  before(async () => {
    text = await readFile(TOPOLOGY_FILE, 'utf8');
  });

  beforeEach(async () => {
    ns = randomNamespace();
    model = await amqp.connect(AMQP_URL, { noDelay: true });
    raw = await amqp.connect(AMQP_URL, { noDelay: true });
  });

  afterEach(async () => {
    await model.close();
    await raw.close();
    for (const topology of declared.splice(0)) {
      await cleanTopology(topology);
    }
  });

  async function declare(topology: Topology): Promise<void> {
    declared.push(topology);
    await declareTopology(model, topology);
  }

  async function publish(routingKey: string, body: string): Promise<void> {
    const ch = await raw.createConfirmChannel();
    ch.publish(`${ns}.relay.status`, routingKey, Buffer.from(body), { mandatory: true });
    await ch.waitForConfirms();
    await ch.close();
  }

  describe('#declareTopology', () => {
    it('declares P single-active-consumer quorum queues, each bound with status.n', async () => {
      const topology = withPartitions(3);
      await declare(topology);

      for (const [n, queue] of topology.names.statusQueues.entries()) {
        await publish(`status.${n}`, `to ${n}`);
        const messages = await takeAll(raw, queue);
        expect(messages.map((m) => m.content.toString())).to.deep.equal([`to ${n}`]);
      }
    });

    it('puts every message of one exam in the partition statusRoutingKeyFor names', async () => {
      const topology = withPartitions(4);
      await declare(topology);
      const key = topology.names.statusRoutingKeyFor('EXAM-42');
      for (let i = 0; i < 5; i++) await publish(key, `m${i}`);

      const counts = await Promise.all(
        topology.names.statusQueues.map(async (q) => (await takeAll(raw, q)).length),
      );
      const n = Number(key.split('.')[1]);
      expect(counts).to.deep.equal([0, 1, 2, 3].map((i) => (i === n ? 5 : 0)));
    });
  });

  describe('#verifyTopology', () => {
    it('returns no differences after declaring partitions', async () => {
      const topology = withPartitions(2);
      await declare(topology);
      expect((await verifyTopology(model, topology)).differences).to.deep.equal([]);
    });

    it('reports the partitions of another count as stale', async () => {
      const one = withPartitions(1);
      await declare(one);
      const two = withPartitions(2);
      await declare(two);

      expect((await verifyTopology(model, two)).differences).to.deep.equal([
        { kind: 'stale', entity: 'queue', name: `${ns}.status_queue` },
      ]);
      expect((await verifyTopology(model, one)).differences).to.deep.include({
        kind: 'stale',
        entity: 'queue',
        name: `${ns}.status_queue.0`,
      });
    });
  });
});
