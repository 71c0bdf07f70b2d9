import { expect } from 'chai';
import { Registry } from 'prom-client';
import { metricsOn } from '../../../src/shared/metrics.js';

describe('shared/metrics', () => {
  describe('#tally', () => {
    const lines = async (registry: Registry) =>
      (await registry.metrics()).split('\n').filter((l) => l.startsWith('frames_total{'));

    it('shows every count on each read, added up across reads', async () => {
      const registry = new Registry();
      const frames = metricsOn(registry, 'test_').tally('frames_total', 'Frames', 'type');
      frames.count('ack');
      frames.count('status_change');
      frames.count('status_change');
      expect(await lines(registry)).to.have.members([
        'frames_total{type="ack"} 1',
        'frames_total{type="status_change"} 2',
      ]);
      frames.count('status_change');
      expect(await lines(registry)).to.have.members([
        'frames_total{type="ack"} 1',
        'frames_total{type="status_change"} 3',
      ]);
      expect(await lines(registry), 'a read without counts in between').to.have.members([
        'frames_total{type="ack"} 1',
        'frames_total{type="status_change"} 3',
      ]);
    });

    it('counts into the counter it returns, for JSON readers too', async () => {
      const registry = new Registry();
      const frames = metricsOn(registry, 'test_').tally('frames_total', 'Frames', 'type');
      frames.count('pong');
      const { values } = await frames.counter.get();
      expect(values.map((v) => [v.labels, v.value])).to.deep.equal([[{ type: 'pong' }, 1]]);
    });
  });
});
