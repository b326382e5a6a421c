import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { decideDelivery, retrySpanMs, type DeliveryPolicy } from '../src/events/delivery-policy.js';
import { createEventIds } from '../src/events/event-id.js';
import { decideRecycle, type RecyclePolicy } from '../src/session/recycle-policy.js';
import { decideAfterExit } from '../src/session/exit-report.js';
import { decideSampleDelay } from '../src/session/sample-pacing.js';
import type { WorkerExit } from '../src/worker/worker-handle.js';

const MB = 1024 * 1024;

describe('decideRecycle', () => {
  const policy: RecyclePolicy = { maxMemoryBytes: 500 * MB, maxUptimeMs: 24 * 3_600_000, minUptimeMs: 60_000 };

  it('recycles a ready session over its memory limit, or one that ran its scheduled time', () => {
    expect(decideRecycle(policy, { status: 'ready', totalBytes: 501 * MB, uptimeMs: 120_000 })).toBe('memory');
    expect(decideRecycle(policy, { status: 'ready', totalBytes: 100 * MB, uptimeMs: 24 * 3_600_000 })).toBe('schedule');
    expect(decideRecycle(policy, { status: 'ready', totalBytes: 500 * MB, uptimeMs: 120_000 })).toBeUndefined();
  });

  it('leaves alone a session that is not ready (a recycle would cost it a new QR) or whose worker is young', () => {
    for (const status of ['qr', 'starting', 'authenticated', 'disconnected', 'backoff']) {
      expect(decideRecycle(policy, { status, totalBytes: 900 * MB, uptimeMs: 120_000 })).toBeUndefined();
    }
    expect(decideRecycle(policy, { status: 'ready', totalBytes: 900 * MB, uptimeMs: 59_999 })).toBeUndefined();
  });

  it('does nothing without limits', () => {
    const none: RecyclePolicy = { maxMemoryBytes: undefined, maxUptimeMs: undefined, minUptimeMs: 0 };
    expect(decideRecycle(none, { status: 'ready', totalBytes: 9000 * MB, uptimeMs: 1e9 })).toBeUndefined();
  });
});

describe('decideSampleDelay', () => {
  const pacing = { intervalMs: 10_000, budget: 0.02 };

  it('keeps the interval between round starts while rounds are cheap', () => {
    expect(decideSampleDelay(pacing, 0)).toBe(10_000);
    expect(decideSampleDelay(pacing, 150)).toBe(9_850);
    // 200 ms is exactly 2% of 10 s.
    expect(decideSampleDelay(pacing, 200)).toBe(9_800);
  });

  it('spaces costly rounds so that sampling stays within its budget of one core', () => {
    // 100 webjs sessions: ~2 s of reading per round → a round every 100 s.
    expect(decideSampleDelay(pacing, 2_000)).toBe(98_000);
    const roundMs = 731;
    const delayMs = decideSampleDelay(pacing, roundMs);
    expect(roundMs / (roundMs + delayMs)).toBeLessThanOrEqual(pacing.budget);
    expect(roundMs / (roundMs + delayMs)).toBeGreaterThan(pacing.budget * 0.99);
  });
});

describe('decideDelivery', () => {
  const policy: DeliveryPolicy = { ...loadConfig({}).webhooks };

  it('ends a delivery on any 2xx, retries anything else with growing delays, and fails at the limit', () => {
    expect(decideDelivery(policy, 1, 200)).toEqual({ action: 'delivered' });
    expect(decideDelivery(policy, 1, 204)).toEqual({ action: 'delivered' });
    expect(decideDelivery(policy, 1, 500, () => 0)).toEqual({ action: 'retry', delayMs: 1000 });
    expect(decideDelivery(policy, 3, 404, () => 0)).toEqual({ action: 'retry', delayMs: 4000 });
    expect(decideDelivery(policy, 2, null, () => 0)).toEqual({ action: 'retry', delayMs: 2000 });
    expect(decideDelivery(policy, 19, 302, () => 0)).toEqual({ action: 'retry', delayMs: 300_000 });
    expect(decideDelivery(policy, 25, 500)).toEqual({ action: 'fail' });
    expect(decideDelivery(policy, 25, 201)).toEqual({ action: 'delivered' });
  });

  it('keeps retrying for at least an hour with the defaults', () => {
    expect(retrySpanMs(policy)).toBeGreaterThanOrEqual(3_600_000);
  });
});

describe('event ids', () => {
  it('are 26-character ULIDs that sort in creation order, even within one millisecond', () => {
    let now = 1_800_000_000_000;
    const next = createEventIds(() => now);
    const ids = Array.from({ length: 1000 }, (_, index) => {
      if (index % 100 === 0) now += 1;
      return next();
    });
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keep sorting when the clock steps back', () => {
    let now = 2_000_000;
    const next = createEventIds(() => now);
    const first = next();
    now -= 1000;
    expect(next() > first).toBe(true);
  });
});

describe('decideAfterExit', () => {
  const policy = loadConfig({ RESTART_BACKOFF_MS: '100', RESTART_MAX_CRASHES: '2' }).restart;
  const exit = (cause: WorkerExit['cause'], fatal?: WorkerExit['fatal']): WorkerExit => ({
    code: 1,
    signal: null,
    cause,
    fatal,
    detail: 'exit code 1',
    uptimeMs: 10,
  });
  const facts = (workerExit: WorkerExit, previousCrashes = 0, meantToRun = true) => ({
    exit: workerExit,
    meantToRun,
    previousCrashes,
    heartbeatTimeoutMs: 2000,
    at: '2026-01-15T09:30:00.000Z',
  });

  it('leaves a requested exit to whoever asked, and settles a session no longer meant to run', () => {
    expect(decideAfterExit(policy, facts(exit('requested')))).toEqual({ action: 'none' });
    expect(decideAfterExit(policy, facts(exit('crashed'), 0, false))).toMatchObject({ action: 'stopped', lastError: { code: 'WSM_WORKER_CRASHED' } });
  });

  it('backs off with the policy, then calls a crash loop a failure', () => {
    const first = decideAfterExit(policy, facts(exit('heartbeat-timeout')), () => 0);
    expect(first).toMatchObject({ action: 'backoff', delayMs: 100, consecutiveCrashes: 1, lastError: { code: 'WSM_HEARTBEAT_TIMEOUT' } });
    expect(decideAfterExit(policy, facts(exit('crashed'), 2), () => 0)).toMatchObject({
      action: 'fail',
      lastError: { code: 'WSM_CRASH_LOOP', message: expect.stringContaining('3 times in a row') },
    });
  });

  it('fails at once on a fatal engine error that says not to retry', () => {
    const fatal = { error: { code: 'WSM_LOGGED_OUT', message: 'logged out from the phone' }, retry: false };
    expect(decideAfterExit(policy, facts(exit('crashed', fatal)))).toMatchObject({ action: 'fail', lastError: { code: 'WSM_LOGGED_OUT' } });
  });
});
