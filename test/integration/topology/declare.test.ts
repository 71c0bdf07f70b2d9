// Needs RabbitMQ 3.10+ at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672), and the
// `rabbitmqctl` of that broker on PATH for the import_definitions test.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import amqp, { type ChannelModel } from 'amqplib';
import { takeAll } from '../../helpers/amqp-take.js';
import { AMQP_URL, cleanTopology, randomNamespace } from '../../helpers/env.js';
import { TOPOLOGY_FILE } from '../../helpers/processes.js';
import { TopologyError } from '../../../src/shared/errors.js';
import { TopologyConflictError } from '../../../src/topology/conflict.js';
import { declareTopology } from '../../../src/topology/declare.js';
import { exportDefinitions } from '../../../src/topology/export.js';
import { loadTopologyFile, type Topology } from '../../../src/topology/load.js';
import { verifyTopology } from '../../../src/topology/verify.js';

describe('topology/declare', () => {
  let ns: string;
  let topology: Topology;
  let model: ChannelModel;
  let raw: ChannelModel;

  beforeEach(async () => {
    ns = randomNamespace();
    topology = await loadTopologyFile(TOPOLOGY_FILE, ns);
    model = await amqp.connect(AMQP_URL, { noDelay: true });
    raw = await amqp.connect(AMQP_URL, { noDelay: true });
  });

  afterEach(async () => {
    await model.close();
    await raw.close();
    await cleanTopology(topology);
  });

  /** Passive check through the raw connection. */
  async function exists(kind: 'queue' | 'exchange', name: string): Promise<boolean> {
    const ch = await raw.createChannel();
    ch.on('error', () => undefined);
    try {
      await (kind === 'queue' ? ch.checkQueue(name) : ch.checkExchange(name));
      await ch.close();
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  }

  async function existing(): Promise<string[]> {
    const found: string[] = [];
    for (const e of topology.exchanges) if (await exists('exchange', e.name)) found.push(e.name);
    for (const q of topology.queues) if (await exists('queue', q.name)) found.push(q.name);
    return found;
  }

  /** Whether a message published to `exchange` with `routingKey` lands in `queue`. */
  async function routes(exchange: string, routingKey: string, queue: string): Promise<boolean> {
    const ch = await raw.createConfirmChannel();
    ch.publish(exchange, routingKey, Buffer.from('probe'));
    await ch.waitForConfirms();
    await ch.close();
    const messages = await takeAll(raw, queue);
    return messages.length === 1 && messages[0]?.content.toString() === 'probe';
  }

  async function precreate(setup: (ch: amqp.Channel) => Promise<unknown>): Promise<void> {
    const ch = await raw.createChannel();
    await setup(ch);
    await ch.close();
  }

  describe('#declareTopology', () => {
    it('declares every exchange, queue and binding of the file', async () => {
      const result = await declareTopology(model, topology);

      expect(result.exchanges.every((e) => e.created)).to.equal(true);
      expect(result.queues.every((q) => q.created)).to.equal(true);
      expect(await existing()).to.have.length(6);
      expect(await routes(`${ns}.relay.status`, 'status', `${ns}.status_queue`)).to.equal(true);
      expect(await routes(`${ns}.relay.dlx`, '', `${ns}.status_queue.dlq`)).to.equal(true);
    });

    it('is idempotent when run twice', async () => {
      await declareTopology(model, topology);
      const again = await declareTopology(model, topology);

      expect(again.exchanges.some((e) => e.created)).to.equal(false);
      expect(again.queues.some((q) => q.created)).to.equal(false);
      expect(await routes(`${ns}.relay.status`, 'status', `${ns}.status_queue`)).to.equal(true);
    });

    it('throws naming entity, property and both values, and creates nothing, when a queue conflicts', async () => {
      await precreate((ch) =>
        ch.assertQueue(`${ns}.status_queue`, {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-single-active-consumer': true,
            'x-delivery-limit': 3,
            'x-dead-letter-exchange': `${ns}.relay.dlx`,
            'x-quorum-initial-group-size': 3,
            'x-dead-letter-strategy': 'at-least-once',
            'x-overflow': 'reject-publish',
          },
        }),
      );

      let error: unknown;
      await declareTopology(model, topology).catch((err: unknown) => (error = err));

      expect(error).to.be.instanceOf(TopologyError);
      expect((error as TopologyConflictError).conflicts).to.deep.equal([
        {
          entity: 'queue',
          name: `${ns}.status_queue`,
          property: 'x-delivery-limit',
          live: '3',
          file: '5',
        },
      ]);
      expect((error as Error).message).to.include(
        `queue ${ns}.status_queue: x-delivery-limit is 3 on the broker, 5 in the file`,
      );
      expect(await existing()).to.deep.equal([`${ns}.status_queue`]);
    });

    it('lists every conflicting property of one queue', async () => {
      await precreate((ch) =>
        ch.assertQueue(`${ns}.status_queue`, {
          durable: true,
          arguments: { 'x-queue-type': 'quorum' },
        }),
      );

      let error: unknown;
      await declareTopology(model, topology).catch((err: unknown) => (error = err));

      const conflicts = (error as TopologyConflictError).conflicts;
      expect(conflicts.map((c) => [c.property, c.live, c.file])).to.have.deep.members([
        ['x-single-active-consumer', null, 'true'],
        ['x-delivery-limit', null, '5'],
        ['x-dead-letter-exchange', null, `${ns}.relay.dlx`],
        ['x-quorum-initial-group-size', null, '3'],
        ['x-dead-letter-strategy', null, 'at-least-once'],
        ['x-overflow', null, 'reject-publish'],
      ]);
      expect(await existing()).to.deep.equal([`${ns}.status_queue`]);
    });

    it('throws and creates nothing when an exchange has a different type', async () => {
      await precreate((ch) =>
        ch.assertExchange(`${ns}.relay.broadcast`, 'direct', { durable: true }),
      );

      let error: unknown;
      await declareTopology(model, topology).catch((err: unknown) => (error = err));

      expect(error).to.be.instanceOf(TopologyConflictError);
      expect((error as Error).message).to.include(
        `exchange ${ns}.relay.broadcast: type is direct on the broker, fanout in the file`,
      );
      expect(await existing()).to.deep.equal([`${ns}.relay.broadcast`]);
    });

    it('throws and creates nothing when another connection holds a queue exclusively', async () => {
      const holder = await raw.createChannel();
      await holder.assertQueue(`${ns}.status_queue.dlq`, { exclusive: true });

      let error: unknown;
      await declareTopology(model, topology).catch((err: unknown) => (error = err));

      expect((error as TopologyConflictError).conflicts).to.deep.equal([
        {
          entity: 'queue',
          name: `${ns}.status_queue.dlq`,
          property: 'exclusive',
          live: 'true',
          file: 'false',
        },
      ]);
      expect(await existing()).to.deep.equal([`${ns}.status_queue.dlq`]);
    });
  });

  describe('#verifyTopology', () => {
    it('returns no differences after declare', async () => {
      await declareTopology(model, topology);
      const result = await verifyTopology(model, topology);

      expect(result.differences).to.deep.equal([]);
      expect(result.bindings.checked).to.equal(false);
    });

    it('reports every entity missing, and creates none, when nothing is declared', async () => {
      const result = await verifyTopology(model, topology);

      expect(result.differences).to.deep.include({
        kind: 'missing',
        entity: 'queue',
        name: `${ns}.status_queue`,
      });
      expect(result.differences).to.have.length(6);
      expect(await existing()).to.deep.equal([]);
    });

    it('reports an inequivalent property without changing it', async () => {
      await precreate((ch) => ch.assertExchange(`${ns}.relay.dlx`, 'fanout', { durable: false }));
      const result = await verifyTopology(model, topology);

      expect(result.differences).to.deep.include({
        kind: 'inequivalent',
        entity: 'exchange',
        name: `${ns}.relay.dlx`,
        property: 'durable',
        live: 'false',
        file: 'true',
      });
      expect(await existing()).to.deep.equal([`${ns}.relay.dlx`]);
    });
  });

  describe('#exportDefinitions', () => {
    it('produces definitions that rabbitmqctl import_definitions creates', async function () {
      this.timeout(60_000);
      const dir = await mkdtemp(join(tmpdir(), 'exam-relay-'));
      const file = join(dir, 'definitions.json');
      try {
        // Run as root, the rabbitmqctl wrapper drops to user rabbitmq, who must read the file.
        await chmod(dir, 0o755);
        await writeFile(file, JSON.stringify(exportDefinitions(topology)), { mode: 0o644 });
        await promisify(execFile)('rabbitmqctl', ['import_definitions', file]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      expect(await existing()).to.have.length(6);
      expect(await routes(`${ns}.relay.status`, 'status', `${ns}.status_queue`)).to.equal(true);
      expect((await verifyTopology(model, topology)).differences).to.deep.equal([]);
    });
  });
});
