import { describe, expect, it } from 'vitest';
import { HeartbeatWatchdog, type SilenceReport } from '../src/worker/heartbeat-watchdog.js';
import { hangPolicy, type HangExcuse } from '../src/worker/hang-policy.js';
import { LoopStallMeter } from '../src/worker/loop-stall-meter.js';
import type { ThreadLook, WorkerLook } from '../src/worker/run-queue-wait.js';

/** Keeps the event loop from running, as a long GC or a synchronous stretch would. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('LoopStallMeter', () => {
  it('counts the time the event loop could not run, including a stall still under way', async () => {
    const meter = new LoopStallMeter(20);
    meter.acquire();
    const before = meter.stalledMs();
    block(300);
    // Read before the ticker has had a chance to run: the stall so far counts already.
    expect(meter.stalledMs() - before).toBeGreaterThanOrEqual(300 - 20);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(meter.stalledMs() - before).toBeGreaterThanOrEqual(300 - 20);
    meter.release();
    const after = meter.stalledMs();
    block(100);
    expect(meter.stalledMs()).toBe(after);
  });
});

describe('HeartbeatWatchdog', () => {
  function watch(main: ThreadLook, others?: ThreadLook) {
    const policy = hangPolicy(100);
    const reprieves: HangExcuse[] = [];
    const asked: boolean[] = [];
    const look = (pid: number, tids: readonly number[] | undefined): WorkerLook => {
      asked.push(tids !== undefined);
      const otherTids = (tids ?? []).filter((tid) => tid !== pid);
      return { main, others: tids !== undefined && others !== undefined ? new Map(otherTids.map((tid) => [tid, others])) : undefined };
    };
    const stalls = new LoopStallMeter(10);
    const hung = new Promise<SilenceReport & { reason: string }>((resolve) => {
      const watchdog = new HeartbeatWatchdog({
        pid: 1,
        policy,
        stalls,
        look,
        threads: () => [1, 2],
        onHung: resolve,
        onReprieve: (excuse) => reprieves.push(excuse),
      });
      watchdog.start();
    });
    return { policy, hung, reprieves, asked };
  }

  it('judges a stopped worker hung after the timeout', async () => {
    const { hung, reprieves } = watch({ state: 'T', runNs: 5e6, waitNs: 1e6, timeslices: 9 });
    expect(await hung).toMatchObject({ reason: 'silent', workerState: 'T', workerWaitingMs: 0 });
    // A busy test runner may stall its own loop past 100 ms (a supervisor-stalled reprieve): never a starved one.
    expect(reprieves).not.toContain('worker-starved');
  });

  it('reprieves a worker runnable all along without a CPU, once, and judges it at the starved limit', async () => {
    const { policy, hung, reprieves } = watch({ state: 'R', runNs: 5e6, waitNs: 1e6, timeslices: 9 });
    const report = await hung;
    expect(report.reason).toBe('starved-too-long');
    expect(report.silentMs - report.supervisorStalledMs).toBeGreaterThanOrEqual(policy.starvedLimitMs - 1);
    // One reprieve per silence (which excuse depends on how busy the test runner is; hang-policy.test.ts pins that).
    expect(reprieves).toHaveLength(1);
  });

  it("looks at the worker's other threads only once a silence has lasted, and excuses an event loop asleep on a starved one", async () => {
    const { policy, hung, asked } = watch({ state: 'S', runNs: 5e6, waitNs: 1e6, timeslices: 9 }, { state: 'R', runNs: 1e6, waitNs: 0, timeslices: 2 });
    const report = await hung;
    expect(report.reason).toBe('starved-too-long');
    expect(report.workerFrozenMs).toBeGreaterThanOrEqual(policy.starvedLimitMs - 1);
    expect(report.workerThreads).toBe(2);
    // The look at the start of the silence is of the event loop alone.
    expect(asked[0]).toBe(false);
    expect(asked.at(-1)).toBe(true);
  });

  it('never looks at the other threads of a worker whose event loop is runnable: its own wait tells', async () => {
    const { hung, asked } = watch({ state: 'R', runNs: 5e6, waitNs: 1e6, timeslices: 9 }, { state: 'R', runNs: 1e6, waitNs: 0, timeslices: 2 });
    expect((await hung).workerThreads).toBe(1);
    expect(asked).not.toContain(true);
  });

  it('does not add up stretches without a CPU that runs of the worker break: slow, not starved for good', async () => {
    const policy = hangPolicy(100);
    // The kernel's counters of an event loop that waits 59 ms for the CPU, runs 1 ms, and again.
    const startedAt = performance.now();
    const sliced = (): WorkerLook => {
      const slices = Math.floor((performance.now() - startedAt) / 60);
      return { main: { state: 'R', runNs: slices * 1e6, waitNs: slices * 59e6, timeslices: slices }, others: undefined };
    };
    const hung: SilenceReport[] = [];
    const reprieves: HangExcuse[] = [];
    const watchdog = new HeartbeatWatchdog({
      pid: 1,
      policy,
      stalls: new LoopStallMeter(10),
      look: sliced,
      onHung: (report) => hung.push(report),
      onReprieve: (excuse) => reprieves.push(excuse),
    });
    watchdog.start();
    // Three starved limits: added up, its stretches without a CPU met the limit within the first one.
    await new Promise((resolve) => setTimeout(resolve, 3 * policy.starvedLimitMs));
    watchdog.stop();
    expect(hung).toEqual([]);
    expect(reprieves).toEqual(['worker-starved']);
  });

  it('judges an announced synchronous step at the starved limit, and the next message ends the allowance', async () => {
    const policy = hangPolicy(100);
    // A worker busy on its CPU all along (loading its engine, or looping): what it runs is never excused.
    const startedAt = performance.now();
    const busy = (): WorkerLook => {
      const ranNs = (performance.now() - startedAt) * 1e6;
      return { main: { state: 'R', runNs: ranNs, waitNs: 0, timeslices: Math.round(ranNs / 1e6) }, others: undefined };
    };
    const judged = (announce: (watchdog: HeartbeatWatchdog) => void) =>
      new Promise<{ afterMs: number; report: SilenceReport }>((resolve) => {
        const from = performance.now();
        const watchdog: HeartbeatWatchdog = new HeartbeatWatchdog({
          pid: 1,
          policy,
          stalls: new LoopStallMeter(10),
          look: busy,
          onHung: (report) => resolve({ afterMs: performance.now() - from, report }),
          onReprieve: () => {},
        });
        watchdog.start();
        announce(watchdog);
      });
    const announced = await judged((watchdog) => watchdog.blocking());
    expect(announced.report).toMatchObject({ reason: 'silent', blocking: true });
    expect(announced.report.countedMs).toBeGreaterThanOrEqual(policy.starvedLimitMs);
    // Announced, then a message: the silence after it is an ordinary one again.
    const ended = await judged((watchdog) => {
      watchdog.blocking();
      watchdog.heard();
    });
    expect(ended.report).toMatchObject({ reason: 'silent', blocking: false });
    expect(ended.report.countedMs).toBeLessThan(policy.starvedLimitMs);
  });
});
