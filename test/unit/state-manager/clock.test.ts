import { expect } from 'chai';
import { Clock } from '../../../src/state-manager/clock.js';

describe('state-manager/Clock', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
  let now = Date.now();
  beforeEach(() => (now = Date.now()));
  const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();

  it('judges nothing before a tick is heard', () => {
    expect(new Clock().silenceCutoff(3000, 60_000)).to.equal(undefined);
  });

  it('puts the cutoff the silence window before what is heard', () => {
    const clock = new Clock(6000);
    clock.heardUpTo(at(10_000));
    expect(clock.silenceCutoff(3000, 60_000)).to.equal(at(7000));
  });

  it('judges nothing while ticks are not arriving now', async () => {
    const clock = new Clock();
    clock.heardUpTo(iso(0));
    await new Promise((r) => setTimeout(r, 30));
    expect(clock.silenceCutoff(3000, 10)).to.equal(undefined);
  });

  it('after a loss, counts silence from the resumption plus the allowance', () => {
    const clock = new Clock(6000);
    clock.heardUpTo(iso(-20_000));
    clock.reset();
    expect(clock.heardAt()).to.equal(undefined);
    // Resumed now: a server that could not publish during the outage is not silent yet.
    clock.heardUpTo(iso(0));
    expect(clock.silenceCutoff(3000, 60_000)).to.equal(undefined);
    clock.heardUpTo(iso(8900));
    expect(clock.silenceCutoff(3000, 60_000)).to.equal(undefined);
    // 3 s of silence after the 6 s allowance: judged again, with the usual cutoff.
    clock.heardUpTo(iso(9500));
    expect(clock.silenceCutoff(3000, 60_000)).to.equal(iso(6500));
  });

  it('after a loss, counts from when consumption resumed, not from an old tick that waited in the queue', () => {
    const clock = new Clock(6000);
    clock.heardUpTo(iso(-60_000));
    clock.reset();
    clock.heardUpTo(iso(-30_000)); // published before the outage, consumed now
    clock.heardUpTo(iso(2000));
    expect(clock.silenceCutoff(3000, 60_000)).to.equal(undefined);
    clock.heardUpTo(iso(9100));
    expect(clock.silenceCutoff(3000, 60_000)).to.equal(iso(6100));
  });

  it('gives no allowance at the first start (heartbeats queued meanwhile are heard)', () => {
    const clock = new Clock(6000);
    clock.heardUpTo(at(20_000));
    expect(clock.silenceCutoff(3000, 60_000)).to.equal(at(17_000));
  });
});
