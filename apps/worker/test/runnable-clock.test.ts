import { describe, expect, it } from 'vitest';
import { STARVED_LIMIT, decideStage } from '../src/engine/runnable-clock.js';
import { StageDeadline, type StageExpiry } from '../src/engine/stage-deadline.js';

describe('decideStage', () => {
  it('runs out after the deadline in wall time on a machine that never stalled (or has no PSI: stall 0)', () => {
    expect(decideStage({ limitMs: 30_000, wallMs: 30_000, stalledMs: 0 })).toEqual({ expired: true, reason: 'ran-out', runnableMs: 30_000 });
    expect(decideStage({ limitMs: 30_000, wallMs: 10_000, stalledMs: 0 })).toEqual({ expired: false, runnableMs: 10_000, recheckInMs: 20_000 });
  });

  it('does not count time the machine was starved of CPU', () => {
    // 40 s on the clock, 25 s of them starved: 15 s it could run, 15 s left.
    expect(decideStage({ limitMs: 30_000, wallMs: 40_000, stalledMs: 25_000 })).toEqual({ expired: false, runnableMs: 15_000, recheckInMs: 15_000 });
    expect(decideStage({ limitMs: 30_000, wallMs: 70_000, stalledMs: 39_000 })).toMatchObject({ expired: true, reason: 'ran-out', runnableMs: 31_000 });
  });

  it('still fails a stage starved for good, at the starved limit in wall time', () => {
    const limitMs = 30_000;
    const hard = limitMs * STARVED_LIMIT;
    expect(decideStage({ limitMs, wallMs: hard - 1000, stalledMs: hard - 1000 })).toEqual({ expired: false, runnableMs: 0, recheckInMs: 1000 });
    expect(decideStage({ limitMs, wallMs: hard, stalledMs: hard })).toEqual({ expired: true, reason: 'starved-too-long', runnableMs: 0 });
  });

  it('looks again at the earliest moment it could run out, never sooner than a tick', () => {
    // 30 s of runnable time left but only 5 s to the starved limit: look in 5 s.
    expect(decideStage({ limitMs: 30_000, wallMs: 175_000, stalledMs: 175_000 })).toMatchObject({ expired: false, recheckInMs: 5000 });
    expect(decideStage({ limitMs: 30_000, wallMs: 29_999, stalledMs: 0 })).toMatchObject({ expired: false, recheckInMs: 50 });
  });

  it('ignores a stall larger than the wall time or negative (counters read apart): never more than the wall', () => {
    expect(decideStage({ limitMs: 1000, wallMs: 500, stalledMs: 900 })).toMatchObject({ expired: false, runnableMs: 0 });
    expect(decideStage({ limitMs: 1000, wallMs: 1000, stalledMs: -50 })).toMatchObject({ expired: true, runnableMs: 1000 });
  });
});

describe('StageDeadline', () => {
  const expiry = (deadline: StageDeadline, limitMs: number) =>
    new Promise<StageExpiry>((resolve) => deadline.arm(limitMs, resolve));

  it('fires after its limit when nothing stalled, and not at all once disarmed', async () => {
    const stall = 5_000_000;
    const deadline = new StageDeadline(() => stall);
    const expired = await expiry(deadline, 100);
    expect(expired.reason).toBe('ran-out');
    expect(expired.runnableMs).toBeGreaterThanOrEqual(100);

    let fired = false;
    deadline.arm(50, () => (fired = true));
    deadline.disarm();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fired).toBe(false);
  });

  it('on a machine starved throughout (the stall grows as fast as the clock), runs out only at the starved limit', async () => {
    const startedAt = performance.now();
    // PSI that says some task waited all along: every microsecond of wall time was a stalled one.
    const deadline = new StageDeadline(() => Math.round((performance.now() - startedAt) * 1000));
    const expired = await expiry(deadline, 40);
    expect(expired.reason).toBe('starved-too-long');
    expect(expired.wallMs).toBeGreaterThanOrEqual(40 * STARVED_LIMIT);
  });

  it('falls back to wall time without PSI', async () => {
    const deadline = new StageDeadline(() => undefined);
    expect((await expiry(deadline, 60)).reason).toBe('ran-out');
  });
});
