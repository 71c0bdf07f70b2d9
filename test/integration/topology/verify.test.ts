// Needs RabbitMQ 3.10+ at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). The management
// API is played by a local HTTP server, so the management plugin need not be enabled.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import amqp, { type ChannelModel } from 'amqplib';
import { AMQP_URL, cleanBroker, randomNamespace } from '../../helpers/env.js';
import { declareTopology } from '../../../src/topology/declare.js';
import { loadTopologyFile, type Topology } from '../../../src/topology/load.js';
import { formatDifferences, verifyTopology } from '../../../src/topology/verify.js';

const FILE = fileURLToPath(new URL('../../../topology/topology.yaml', import.meta.url));
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

interface Binding {
  source: string;
  destination: string;
  destination_type: string;
  routing_key: string;
}

/** A stand-in for GET /api/bindings/%2F of the management API. */
async function fakeManagement(bindings: () => Binding[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.headers.authorization !== AUTH) return void res.writeHead(401).end();
    if (req.url !== '/api/bindings/%2F') return void res.writeHead(404).end();
    const body = bindings().map((b) => ({ ...b, vhost: '/', arguments: {}, properties_key: '~' }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://guest:guest@127.0.0.1:${port}`, server };
}

describe('topology/verify', () => {
  let ns: string;
  let topology: Topology;
  let model: ChannelModel;
  let live: Binding[];
  let management: { url: string; server: Server };

  beforeEach(async () => {
    ns = randomNamespace();
    topology = await loadTopologyFile(FILE, ns);
    model = await amqp.connect(AMQP_URL, { noDelay: true });
    await declareTopology(model, topology);
    live = [
      // Every queue's implicit binding from the default exchange.
      ...topology.queues.map((q) => ({
        source: '',
        destination: q.name,
        destination_type: 'queue',
        routing_key: q.name,
      })),
      ...topology.bindings.map((b) => ({
        source: b.exchange,
        destination: b.queue,
        destination_type: 'queue',
        routing_key: b.routingKey,
      })),
      // A running socket server's queue.
      {
        source: `${ns}.relay.route`,
        destination: `${ns}.serverA_queue`,
        destination_type: 'queue',
        routing_key: 'serverA',
      },
    ];
    management = await fakeManagement(() => live);
  });

  afterEach(async () => {
    management.server.close();
    await model.close();
    await cleanBroker({
      queues: topology.queues.map((q) => q.name),
      exchanges: topology.exchanges.map((e) => e.name),
    });
  });

  describe('#verifyTopology', () => {
    it('checks bindings and finds no difference when the management API lists them all', async () => {
      const result = await verifyTopology(model, topology, { managementUrl: management.url });

      expect(result).to.deep.equal({ differences: [], bindings: { checked: true } });
    });

    it('reports a missing binding and an unexpected binding into a file queue', async () => {
      live = live.filter((b) => b.destination !== `${ns}.status_queue.dlq`);
      live.push({
        source: `${ns}.relay.broadcast`,
        destination: `${ns}.status_queue`,
        destination_type: 'queue',
        routing_key: '',
      });

      const result = await verifyTopology(model, topology, { managementUrl: management.url });

      expect(formatDifferences(result.differences).split('\n')).to.deep.equal([
        `missing binding ${ns}.relay.dlx -> ${ns}.status_queue.dlq []`,
        `unexpected binding ${ns}.relay.broadcast -> ${ns}.status_queue [] (not in the file)`,
      ]);
    });

    it('leaves bindings unchecked with a reason when the management API is unreachable', async () => {
      management.server.close();
      const result = await verifyTopology(model, topology, { managementUrl: management.url });

      expect(result.differences).to.deep.equal([]);
      expect(result.bindings).to.have.property('checked', false);
      expect(result.bindings)
        .to.have.property('reason')
        .that.match(/not reachable at http:\/\/guest:\*\*\*@/);
    });

    it('leaves bindings unchecked with the HTTP status when the credentials are refused', async () => {
      const url = management.url.replace('guest:guest', 'guest:wrong');
      const result = await verifyTopology(model, topology, { managementUrl: url });

      expect(result.bindings)
        .to.have.property('reason')
        .that.match(/answered HTTP 401/);
    });
  });
});
