// Needs RabbitMQ 3.10+ at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). The management
// API is played by a local HTTP server, so the management plugin need not be enabled.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import amqp, { type ChannelModel } from 'amqplib';
import { AMQP_URL, cleanTopology, randomNamespace } from '../../helpers/env.js';
import { TOPOLOGY_FILE } from '../../helpers/processes.js';
import { declareTopology } from '../../../src/topology/declare.js';
import { loadTopologyFile, type Topology } from '../../../src/topology/load.js';
import { formatDifferences, verifyTopology } from '../../../src/topology/verify.js';

const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

interface Binding {
  source: string;
  destination: string;
  destination_type: string;
  routing_key: string;
}

/** A quorum queue as GET /api/queues/%2F/{name} shows it (the fields verify reads). */
interface Placement {
  leader: string;
  members: string[];
  online: string[];
}

const NODES = ['relay1@localhost', 'relay2@localhost', 'relay3@localhost'];

/**
 * A stand-in for the management API: GET /api/bindings/%2F, /api/nodes and
 * /api/queues/%2F/{name} (quorum queues of `placement`, others 404).
 */
async function fakeManagement(
  bindings: () => Binding[],
  placement: () => Map<string, Placement>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.headers.authorization !== AUTH) return void res.writeHead(401).end();
    const json = (body: unknown) =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/api/nodes?columns=name,running') {
      return json(NODES.map((name) => ({ name, running: true })));
    }
    const queue = /^\/api\/queues\/%2F\/([^/?]+)$/.exec(req.url ?? '')?.[1];
    const placed = queue === undefined ? undefined : placement().get(decodeURIComponent(queue));
    if (queue !== undefined && placed) {
      return json({
        name: decodeURIComponent(queue),
        type: 'quorum',
        node: placed.leader,
        ...placed,
      });
    }
    if (req.url !== '/api/bindings/%2F') return void res.writeHead(404).end();
    json(bindings().map((b) => ({ ...b, vhost: '/', arguments: {}, properties_key: '~' })));
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
  let placement: Map<string, Placement>;
  let management: { url: string; server: Server };

  beforeEach(async () => {
    ns = randomNamespace();
    topology = await loadTopologyFile(TOPOLOGY_FILE, ns);
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
    placement = new Map(
      topology.queues.map((q) => [
        q.name,
        { leader: NODES[0] ?? '', members: [...NODES], online: [...NODES] },
      ]),
    );
    management = await fakeManagement(
      () => live,
      () => placement,
    );
  });

  afterEach(async () => {
    management.server.close();
    await model.close();
    await cleanTopology(topology);
  });

  describe('#verifyTopology', () => {
    it('checks bindings and finds no difference when the management API lists them all', async () => {
      const result = await verifyTopology(model, topology, { managementUrl: management.url });

      expect(result).to.deep.equal({
        differences: [],
        bindings: { checked: true },
        placement: {
          checked: true,
          clusterNodes: NODES,
          queues: topology.queues.map((q) => ({
            queue: q.name,
            leader: NODES[0],
            members: NODES,
            online: NODES,
          })),
        },
      });
    });

    it('reports a quorum queue with members offline, and one without a leader', async () => {
      const [status, dlq] = topology.names.statusQueues.concat(topology.names.deadLetterQueue);
      placement.set(status ?? '', {
        leader: NODES[0] ?? '',
        members: NODES,
        online: NODES.slice(0, 2),
      });
      placement.set(dlq ?? '', { leader: '', members: NODES, online: NODES.slice(0, 1) });

      const result = await verifyTopology(model, topology, { managementUrl: management.url });

      expect(formatDifferences(result.differences).split('\n')).to.deep.equal([
        `queue ${status}: members offline: relay3@localhost`,
        `queue ${dlq}: has no leader`,
        `queue ${dlq}: members offline: relay2@localhost, relay3@localhost`,
      ]);
    });

    it('reports a quorum queue with fewer members than its group size', async () => {
      placement.set(topology.names.statusQueue, {
        leader: NODES[1] ?? '',
        members: NODES.slice(1),
        online: NODES.slice(1),
      });

      const result = await verifyTopology(model, topology, { managementUrl: management.url });

      expect(result.differences).to.deep.equal([
        {
          kind: 'replicas',
          entity: 'queue',
          name: topology.names.statusQueue,
          problem: 'has 2 member(s), expected 3',
        },
      ]);
    });

    it('leaves quorum members unchecked with a reason when the management API is unreachable', async () => {
      management.server.close();
      const result = await verifyTopology(model, topology, { managementUrl: management.url });

      expect(result.placement).to.have.property('checked', false);
      expect(result.placement)
        .to.have.property('reason')
        .that.match(/not reachable/);
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
