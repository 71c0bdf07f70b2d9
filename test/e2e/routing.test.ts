// Routing efficiency and unroutable messages. Needs RabbitMQ and Redis running and a built
// dist/; starts real exam-relay processes in a random namespace.
import { expect } from 'chai';
import { Cluster } from '../helpers/cluster.js';
import { freePort } from '../helpers/processes.js';
import type { Frame } from '../helpers/ws-client.js';

async function routedPublishes(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^exam_relay_routed_publishes_total\{type="(\w+)"\} (\d+)/gm)) {
    counts[m[1] as string] = Number(m[2]);
  }
  return counts;
}

describe('routing', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let metricsPort: number;

  before(async () => {
    metricsPort = await freePort();
    cluster = await Cluster.start({
      servers: ['serverA', 'serverB', 'serverC'],
      env: { METRICS_PORT: String(metricsPort), RATE_LIMIT_PER_SECOND: '1000' },
    });
  });
  after(async () => {
    await cluster.stop();
  });

  describe('exam-wide change', () => {
    it('is one publish per server that holds recipients, whatever the number of examinees', async () => {
      const examinees = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          cluster.login(i % 2 ? 'serverA' : 'serverB', `W${i}`, 'examinee'),
        ),
      );
      const supervisor = await cluster.login('serverB', 'SW1', 'supervisor');
      // Wait until every connect is registered: the state manager answers each with `connected`.
      await new Promise((r) => setTimeout(r, 1000));
      const before = await routedPublishes(metricsPort);

      supervisor.change('wide-1', { examId: 'EXAM1', status: 'STARTED' });
      const ack = await supervisor.next((f) => f.type === 'ack' && f.id === 'wide-1');

      const data = ack.data as { examinees: string[]; delivered: string[] };
      expect(data.examinees).to.have.length(60);
      expect(data.delivered).to.have.length(60);
      for (const [i, e] of examinees.entries()) {
        const frame = await e.next((f: Frame) => f.type === 'status_change' && f.id === 'wide-1');
        expect(frame.data).to.include({
          targetExamineeId: `W${i}`,
          examId: 'EXAM1',
          status: 'STARTED',
        });
      }
      const after = await routedPublishes(metricsPort);
      expect((after.status_change ?? 0) - (before.status_change ?? 0)).to.equal(2);
      // The ack is one more message, to the supervisor's own server, once the frames are
      // confirmed: the frames themselves leave in the exam's order, not held back for it.
      expect((after.ack ?? 0) - (before.ack ?? 0)).to.equal(1);
      for (const e of examinees) e.close();
    });
  });

  describe('unroutable change', () => {
    it('acks the examinee as pending and delivers on resume when its server has gone', async () => {
      const lost = await cluster.login('serverC', 'E070', 'examinee');
      const supervisor = await cluster.login('serverB', 'S070', 'supervisor');
      await new Promise((r) => setTimeout(r, 500));
      await cluster.servers.get('serverC')?.process.stop('SIGKILL');
      await lost.closed;

      supervisor.change('gone-1', { targetExamineeId: 'E070', status: 'PAUSED' });
      const ack = await supervisor.next((f) => f.type === 'ack' && f.id === 'gone-1');
      expect(ack.data).to.deep.include({ delivered: [], pending: ['E070'] });

      const back = await cluster.login('serverA', 'E070', 'examinee', { resume: 0 });
      const frame = await back.next((f) => f.type === 'status_change' && f.id === 'gone-1');
      expect(frame.data).to.include({ targetExamineeId: 'E070', status: 'PAUSED' });
    });
  });
});
