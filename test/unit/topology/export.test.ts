import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { exportDefinitions } from '../../../src/topology/export.js';
import { loadTopologyFile } from '../../../src/topology/load.js';

const FILE = fileURLToPath(new URL('../../../topology/topology.yaml', import.meta.url));

describe('topology/export', () => {
  describe('#exportDefinitions', () => {
    it('lists the namespaced queues, exchanges and bindings in vhost /', async () => {
      const definitions = exportDefinitions(await loadTopologyFile(FILE, 't1'));
      expect(definitions.queues).to.deep.include({
        name: 't1.status_queue',
        vhost: '/',
        durable: true,
        auto_delete: false,
        arguments: {
          'x-queue-type': 'quorum',
          'x-single-active-consumer': true,
          'x-delivery-limit': 5,
          'x-dead-letter-exchange': 't1.relay.dlx',
          'x-quorum-initial-group-size': 3,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
      expect(definitions.exchanges).to.deep.include({
        name: 't1.relay.broadcast',
        vhost: '/',
        type: 'fanout',
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      });
      expect(definitions.bindings).to.deep.include({
        source: 't1.relay.status',
        vhost: '/',
        destination: 't1.status_queue',
        destination_type: 'queue',
        routing_key: 'status',
        arguments: {},
      });
    });

    it('leaves out the per-server queue', async () => {
      const definitions = exportDefinitions(await loadTopologyFile(FILE, ''));
      const names = definitions.queues.map((q) => q.name);
      expect(names).to.deep.equal(['status_queue', 'status_queue.dlq']);
      expect(JSON.stringify(definitions)).not.to.include('{serverId}');
    });

    it('puts every entity in the given vhost', async () => {
      const definitions = exportDefinitions(await loadTopologyFile(FILE, ''), { vhost: 'exams' });
      const vhosts = [...definitions.queues, ...definitions.exchanges, ...definitions.bindings].map(
        (e) => e.vhost,
      );
      expect(new Set(vhosts)).to.deep.equal(new Set(['exams']));
    });
  });
});
