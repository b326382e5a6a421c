import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { decideRestart, type RestartPolicy } from '../src/session/restart-policy.js';

const policy: RestartPolicy = { baseDelayMs: 500, maxDelayMs: 8000, maxConsecutiveCrashes: 5, stableAfterMs: 60_000, jitter: 0.2 };
const noJitter = (): number => 0;
const fullJitter = (): number => 1;

describe('backoffDelay', () => {
  it('doubles per consecutive crash and is capped', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(policy, attempt, noJitter))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it('takes at most `jitter` of the delay off, never adds to it', () => {
    expect(backoffDelay(policy, 3, fullJitter)).toBe(1600);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(1800);
    expect(backoffDelay(policy, 10, fullJitter)).toBe(6400);
  });

  it('restarts at once when the base delay is 0', () => {
    expect(backoffDelay({ ...policy, baseDelayMs: 0 }, 4, noJitter)).toBe(0);
  });
});

describe('decideRestart', () => {
  it('counts consecutive crashes of short-lived workers and gives up past the limit', () => {
    let previousCrashes = 0;
    const decisions = [];
    for (let crash = 0; crash < 6; crash++) {
      const decision = decideRestart(policy, { previousCrashes, uptimeMs: 1000 }, noJitter);
      decisions.push(decision);
      previousCrashes = decision.consecutiveCrashes;
    }
    expect(decisions.map((decision) => decision.action)).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'give-up']);
    expect(decisions.map((decision) => (decision.action === 'restart' ? decision.delayMs : null))).toEqual([
      500, 1000, 2000, 4000, 8000, null,
    ]);
  });

  it('starts a new series after a worker ran for the stable period', () => {
    const decision = decideRestart(policy, { previousCrashes: 5, uptimeMs: 60_000 }, noJitter);
    expect(decision).toEqual({ action: 'restart', delayMs: 500, consecutiveCrashes: 1 });
  });

  it('gives up on the first crash when no restart is allowed', () => {
    expect(decideRestart({ ...policy, maxConsecutiveCrashes: 0 }, { previousCrashes: 0, uptimeMs: 0 })).toEqual({
      action: 'give-up',
      consecutiveCrashes: 1,
    });
  });
});
