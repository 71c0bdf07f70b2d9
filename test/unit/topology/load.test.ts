import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import type { z } from 'zod';
import { TopologyError } from '../../../src/shared/errors.js';
import { loadTopologyFile, parseTopology } from '../../../src/topology/load.js';
import type { TopologyFile } from '../../../src/topology/schema.js';

const FILE = fileURLToPath(new URL('../../../topology/topology.yaml', import.meta.url));
const TEXT = readFileSync(FILE, 'utf8');

type Doc = z.input<typeof TopologyFile>;

/** The real file with one change, as YAML text. */
function variant(change: (doc: Doc) => void): string {
  const doc = parse(TEXT) as Doc;
  change(doc);
  return stringify(doc);
}

function queue(doc: Doc, name: string): Record<string, unknown> {
  const q = doc.queues[name];
  if (!q) throw new Error(`the real file has no queue ${name}`);
  return q;
}

describe('topology/load', () => {
  describe('#loadTopologyFile', () => {
    it('resolves the real file without a namespace', async () => {
      const topology = await loadTopologyFile(FILE, '');
      expect(topology.exchanges.map((e) => [e.name, e.type])).to.deep.equal([
        ['relay.status', 'direct'],
        ['relay.route', 'direct'],
        ['relay.broadcast', 'fanout'],
        ['relay.dlx', 'fanout'],
      ]);
      expect(topology.queues.map((q) => q.name)).to.deep.equal([
        'status_queue',
        'status_queue.dlq',
      ]);
      expect(topology.queues[0]?.arguments).to.deep.equal({
        'x-queue-type': 'quorum',
        'x-single-active-consumer': true,
        'x-delivery-limit': 5,
        'x-dead-letter-exchange': 'relay.dlx',
        'x-quorum-initial-group-size': 3,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      });
      expect(topology.serverQueue('serverA').name).to.equal('serverA_queue');
    });

    it('prefixes queue and exchange names, not routing keys, when a namespace is set', async () => {
      const topology = await loadTopologyFile(FILE, 't1');
      expect(topology.exchanges.map((e) => e.name)).to.deep.equal([
        't1.relay.status',
        't1.relay.route',
        't1.relay.broadcast',
        't1.relay.dlx',
      ]);
      expect(topology.queues.map((q) => q.name)).to.deep.equal([
        't1.status_queue',
        't1.status_queue.dlq',
      ]);
      expect(topology.queues[0]?.arguments['x-dead-letter-exchange']).to.equal('t1.relay.dlx');
      expect(topology.bindings).to.deep.include({
        exchange: 't1.relay.status',
        queue: 't1.status_queue',
        routingKey: 'status',
      });
      expect(topology.serverQueue('serverB')).to.deep.equal({
        name: 't1.serverB_queue',
        arguments: {},
        bindings: [
          { exchange: 't1.relay.route', routingKey: 'serverB' },
          { exchange: 't1.relay.broadcast', routingKey: '' },
        ],
      });
      expect(topology.names.statusQueue).to.equal('t1.status_queue');
    });

    it('throws a TopologyError naming the path when the file cannot be read', async () => {
      const missing = `${FILE}.missing`;
      let error: unknown;
      await loadTopologyFile(missing, '').catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(TopologyError);
      expect((error as Error).message).to.include(missing);
    });
  });

  describe('partitions', () => {
    const partitioned = (p: number, ns = 't1') =>
      parseTopology(
        variant((doc) => {
          queue(doc, 'status_queue').partitions = p;
        }),
        ns,
      );

    it('keeps plain status_queue and routing key status with one partition', async () => {
      const topology = await loadTopologyFile(FILE, 't1');
      expect(topology.names.statusPartitions).to.equal(1);
      expect(topology.names.statusQueues).to.deep.equal(['t1.status_queue']);
      expect(topology.names.statusRoutingKeyFor('EXAM1')).to.equal('status');
      expect(topology.names.heartbeatRoutingKey).to.equal('status');
    });

    it('declares status_queue.0 … status_queue.{P-1} with the same arguments', () => {
      const topology = partitioned(3);
      const status = topology.queues.filter((q) => q.name !== 't1.status_queue.dlq');
      expect(status.map((q) => q.name)).to.deep.equal([
        't1.status_queue.0',
        't1.status_queue.1',
        't1.status_queue.2',
      ]);
      const first = status[0]?.arguments;
      expect(first?.['x-single-active-consumer']).to.equal(true);
      for (const q of status) expect(q.arguments).to.deep.equal(first);
      expect(topology.names.statusQueues).to.deep.equal(status.map((q) => q.name));
      expect(topology.names.statusQueue).to.equal('t1.status_queue.0');
    });

    it('binds partition n with routing key status.n', () => {
      const topology = partitioned(3);
      expect(topology.bindings.filter((b) => b.exchange === 't1.relay.status')).to.deep.equal([
        { exchange: 't1.relay.status', queue: 't1.status_queue.0', routingKey: 'status.0' },
        { exchange: 't1.relay.status', queue: 't1.status_queue.1', routingKey: 'status.1' },
        { exchange: 't1.relay.status', queue: 't1.status_queue.2', routingKey: 'status.2' },
      ]);
      expect(topology.names.statusRoutingKey).to.equal('status.0');
      expect(topology.names.heartbeatRoutingKey).to.equal('status.0');
    });

    it('routes every exam to a bound partition', () => {
      const topology = partitioned(4);
      const keys = new Set(topology.bindings.map((b) => b.routingKey));
      const used = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const key = topology.names.statusRoutingKeyFor(`EXAM${i}`);
        expect(keys.has(key), key).to.equal(true);
        used.add(key);
      }
      expect(used.size).to.equal(4);
    });
  });

  describe('#parseTopology', () => {
    const rejects = (text: string, message: RegExp) =>
      expect(() => parseTopology(text, '', 'topology.yaml')).to.throw(TopologyError, message);

    it('rejects a YAML syntax error', () => {
      rejects(
        TEXT.replace('type: direct', 'type: [direct'),
        /^topology\.yaml: invalid YAML: Flow sequence/,
      );
    });

    /** One change to the real file each, and the error that names what is wrong. */
    const refused: [title: string, change: (doc: Doc) => void, message: RegExp][] = [
      [
        'names the path of an unknown field',
        (doc) => {
          queue(doc, 'status_queue').argumnets = {};
        },
        /queues\.status_queue\.argumnets: unknown field/,
      ],
      [
        'names the path of a value of the wrong type',
        (doc) => {
          queue(doc, 'status_queue').deliveryLimit = 'five';
        },
        /queues\.status_queue\.deliveryLimit: Invalid input: expected number/,
      ],
      [
        'rejects a binding to an unknown exchange',
        (doc) => {
          const binding = doc.bindings?.[0];
          if (binding) binding.exchange = 'relay.sever';
        },
        /bindings\.0\.exchange refers to unknown exchange "relay\.sever"/,
      ],
      [
        'rejects a file without status_queue',
        (doc) => {
          delete doc.queues.status_queue;
          doc.bindings = doc.bindings?.filter((b) => b.queue !== 'status_queue');
        },
        /queues\.status_queue: required queue is missing/,
      ],
      // Options only quorum queues have.
      ...(['deliveryLimit', 'groupSize'] as const).map(
        (option): [string, (doc: Doc) => void, RegExp] => [
          `rejects ${option} on a classic queue`,
          (doc) => {
            Object.assign(queue(doc, 'status_queue.dlq'), { type: 'classic', [option]: 3 });
          },
          new RegExp(`queues\\.status_queue\\.dlq\\.${option}: needs type quorum`),
        ],
      ),
      [
        'rejects a non-durable quorum queue',
        (doc) => {
          queue(doc, 'status_queue.dlq').durable = false;
        },
        /queues\.status_queue\.dlq\.durable: quorum queues must be durable/,
      ],
      [
        'rejects a status_queue without a single active consumer',
        (doc) => {
          queue(doc, 'status_queue').singleActiveConsumer = false;
        },
        /queues\.status_queue\.singleActiveConsumer: must be true/,
      ],
      [
        'rejects partitions on a queue other than status_queue',
        (doc) => {
          queue(doc, 'status_queue.dlq').partitions = 2;
        },
        /queues\.status_queue\.dlq\.partitions: only status_queue can be partitioned/,
      ],
      [
        'rejects a partition count of 0',
        (doc) => {
          queue(doc, 'status_queue').partitions = 0;
        },
        /queues\.status_queue\.partitions: Too small/,
      ],
      [
        'rejects a queue of the file named like a partition',
        (doc) => {
          queue(doc, 'status_queue').partitions = 2;
          doc.queues['status_queue.1'] = { type: 'classic' };
        },
        /queues\.status_queue\.1: clashes with partition 1 of status_queue/,
      ],
      [
        'rejects at-least-once dead-lettering without overflow reject-publish',
        (doc) => {
          queue(doc, 'status_queue').overflow = 'drop-head';
        },
        /queues\.status_queue\.overflow: at-least-once dead-lettering needs reject-publish/,
      ],
      [
        'rejects a serverQueue name without {serverId}',
        (doc) => {
          doc.serverQueue.name = 'server_queue';
        },
        /serverQueue\.name: must contain \{serverId\}/,
      ],
    ];
    for (const [title, change, message] of refused) {
      it(title, () => rejects(variant(change), message));
    }
  });
});
