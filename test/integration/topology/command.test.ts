// Needs RabbitMQ 3.10+ at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672); the export test
// needs no broker.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AMQP_URL, cleanTopology, randomNamespace } from '../../helpers/env.js';
import { TOPOLOGY_FILE } from '../../helpers/processes.js';
import { createLogger } from '../../../src/shared/logger.js';
import { runTopologyCommand, type TopologyCommandOptions } from '../../../src/topology/command.js';
import { loadTopologyFile } from '../../../src/topology/load.js';

describe('topology/command', () => {
  let ns: string;
  let out: string[];
  let err: string[];
  let opts: TopologyCommandOptions;

  beforeEach(() => {
    ns = randomNamespace();
    out = [];
    err = [];
    opts = {
      file: TOPOLOGY_FILE,
      namespace: ns,
      amqpUrls: [AMQP_URL],
      logger: createLogger({ service: 'test', level: 'silent' }, { write: () => undefined }),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    };
  });

  afterEach(async () => {
    const topology = await loadTopologyFile(TOPOLOGY_FILE, ns);
    await cleanTopology(topology);
  });

  describe('#runTopologyCommand', () => {
    it('prints definitions JSON and exits 0 for export, without a broker', async () => {
      const code = await runTopologyCommand('export', {
        ...opts,
        amqpUrls: ['amqp://127.0.0.1:1'],
      });

      expect(code).to.equal(0);
      const definitions = JSON.parse(out.join('\n')) as { queues: { name: string }[] };
      expect(definitions.queues.map((q) => q.name)).to.include(`${ns}.status_queue`);
    });

    it('exits 1 naming the offending field when the file is invalid', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'exam-relay-'));
      const file = join(dir, 'topology.yaml');
      try {
        await writeFile(file, 'version: 1\nexchanges: {}\nqueues: {}\nserverQueue: {nmae: x}\n');
        const code = await runTopologyCommand('verify', { ...opts, file });

        expect(code).to.equal(1);
        expect(err.join('\n')).to.include('serverQueue.nmae: unknown field');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('prints what declare declared, then verify matches and notes unchecked bindings and members', async () => {
      expect(await runTopologyCommand('declare', opts)).to.equal(0);
      expect(out).to.include(`declared exchange ${ns}.relay.status (direct, created)`);
      expect(out).to.include(`declared queue ${ns}.status_queue (created)`);
      expect(out).to.include(`declared binding ${ns}.relay.status -> ${ns}.status_queue [status]`);

      out = [];
      err = [];
      expect(await runTopologyCommand('verify', opts)).to.equal(0);
      expect(out).to.deep.equal([`topology matches ${TOPOLOGY_FILE}`]);
      expect(err).to.deep.equal([
        'note: bindings not checked (no management API URL given)',
        'note: quorum members not checked (no management API URL given)',
      ]);
    });

    it('prints the differences and exits 1 when verify finds the topology missing', async () => {
      expect(await runTopologyCommand('verify', opts)).to.equal(1);
      expect(out).to.include(`missing queue ${ns}.status_queue`);
      expect(out).to.have.length(6);
    });

    it('exits 1 naming the conflict when declare meets an inequivalent entity', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'exam-relay-'));
      const file = join(dir, 'topology.yaml');
      try {
        expect(await runTopologyCommand('declare', opts)).to.equal(0);
        const yaml = await readFile(TOPOLOGY_FILE, 'utf8');
        await writeFile(file, yaml.replace('deliveryLimit: 5', 'deliveryLimit: 7'));
        err = [];
        expect(await runTopologyCommand('declare', { ...opts, file })).to.equal(1);
        expect(err.join('\n')).to.include(
          `queue ${ns}.status_queue: x-delivery-limit is 5 on the broker, 7 in the file`,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('exits 1 when the broker cannot be reached', async () => {
      const code = await runTopologyCommand('declare', {
        ...opts,
        amqpUrls: ['amqp://127.0.0.1:1'],
      });

      expect(code).to.equal(1);
      expect(err.join('\n')).to.match(/^cannot connect to amqp:\/\/127\.0\.0\.1:1/);
    });
  });
});
