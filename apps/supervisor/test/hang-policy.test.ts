import { describe, expect, it } from 'vitest';
import { STARVED_LIMIT_TIMEOUTS, decideHang, hangPolicy } from '../src/worker/hang-policy.js';
import { waitedMs, workerWaitedMs, type ThreadLook, type WorkerLook } from '../src/worker/run-queue-wait.js';

describe('decideHang', () => {
  const policy = hangPolicy(10_000);
  const silence = (silentMs: number, supervisorStalledMs = 0, workerWaitingMs = 0, workerFrozenMs = 0, blocking = false) => ({
    silentMs,
    supervisorStalledMs,
    workerWaitingMs,
    workerFrozenMs,
    blocking,
  });

  it('judges hung a worker silent for the timeout while both ends could run: stopped, busy-looping or blocked alike', () => {
    expect(decideHang(policy, silence(10_000))).toEqual({ verdict: 'hung', countedMs: 10_000, reason: 'silent' });
    expect(decideHang(policy, silence(12_000, 1000, 500))).toEqual({ verdict: 'hung', countedMs: 10_500, reason: 'silent' });
  });

  it('needs no excuse for a silence shorter than the timeout', () => {
    expect(decideHang(policy, silence(2500))).toEqual({ verdict: 'alive', countedMs: 2500, excuse: undefined });
    expect(decideHang(policy, silence(9999, 0, 9999))).toEqual({ verdict: 'alive', countedMs: 0, excuse: undefined });
  });

  it('does not count time the supervisor could not run: a paused supervisor kills no one', () => {
    // SIGSTOPped for 30 s: the worker beat all along, but nothing was there to hear it.
    expect(decideHang(policy, silence(31_000, 30_000))).toEqual({ verdict: 'alive', countedMs: 1000, excuse: 'supervisor-stalled' });
    // An hour: still the supervisor's silence, not the worker's; the starved limit is about the worker.
    expect(decideHang(policy, silence(3_600_500, 3_600_000))).toMatchObject({ verdict: 'alive', excuse: 'supervisor-stalled' });
  });

  it('does not count time the worker waited for a CPU: a starved worker is given longer', () => {
    expect(decideHang(policy, silence(15_000, 0, 9000))).toEqual({ verdict: 'alive', countedMs: 6000, excuse: 'worker-starved' });
    // A stall and a wait at once (the whole machine starved) are both subtracted: a verdict can only come later.
    expect(decideHang(policy, silence(15_000, 4000, 9000))).toEqual({ verdict: 'alive', countedMs: 2000, excuse: 'worker-starved' });
    expect(decideHang(policy, silence(15_000, 9000, 9000))).toEqual({ verdict: 'alive', countedMs: 0, excuse: 'supervisor-stalled' });
    // The excuse is the larger of the two, not whichever took the silence under the timeout.
    expect(decideHang(policy, silence(10_003, 4, 354))).toEqual({ verdict: 'alive', countedMs: 9645, excuse: 'worker-starved' });
  });

  it('judges hung a worker starved for good once it could not run at all for the starved limit', () => {
    const limit = 10_000 * STARVED_LIMIT_TIMEOUTS;
    expect(decideHang(policy, silence(limit, 0, limit - 1000, limit - 1))).toMatchObject({ verdict: 'alive', excuse: 'worker-starved' });
    expect(decideHang(policy, silence(limit, 0, limit - 1000, limit))).toEqual({ verdict: 'hung', countedMs: 1000, reason: 'starved-too-long' });
    // The supervisor's stalls do not use the limit up.
    expect(decideHang(policy, silence(limit + 5000, 5001, limit - 1000, limit + 5000))).toMatchObject({ verdict: 'alive' });
  });

  it('gives an announced synchronous step up to the starved limit of counted silence, no more', () => {
    const limit = 10_000 * STARVED_LIMIT_TIMEOUTS;
    // Loading its engine on a slow machine: 15 s of it ran, and it was not starved. Unannounced, that is a hang.
    expect(decideHang(policy, silence(15_000, 0, 0, 0, true))).toEqual({ verdict: 'alive', countedMs: 15_000, excuse: 'worker-blocking' });
    expect(decideHang(policy, silence(15_000))).toMatchObject({ verdict: 'hung', reason: 'silent' });
    // A hang inside the step is still caught, at the limit.
    expect(decideHang(policy, silence(limit, 0, 0, 0, true))).toEqual({ verdict: 'hung', countedMs: limit, reason: 'silent' });
    // Under the timeout once waits are taken off, the excuse is still the wait: the allowance was not needed.
    expect(decideHang(policy, silence(15_000, 0, 9000, 0, true))).toMatchObject({ verdict: 'alive', excuse: 'worker-starved' });
    // It does not lengthen the starved limit: a step that cannot run at all is judged as any silence is.
    expect(decideHang(policy, silence(limit, 0, limit - 1000, limit, true))).toMatchObject({ verdict: 'hung', reason: 'starved-too-long' });
  });

  it('gives a worker that gets a share of the CPU, however small, as long as it needs: slow, not lost', () => {
    // Ten times the starved limit in slices: waiting nine tenths of it, never a whole look without a CPU.
    const silentMs = 10_000 * STARVED_LIMIT_TIMEOUTS * 10;
    expect(decideHang(policy, silence(silentMs, 0, silentMs - 9000, 0))).toMatchObject({ verdict: 'alive', countedMs: 9000, excuse: 'worker-starved' });
    // What it ran and slept still adds up to the timeout.
    expect(decideHang(policy, silence(silentMs, 0, silentMs - 10_000, 0))).toMatchObject({ verdict: 'hung', reason: 'silent' });
  });
});

/** A thread as the kernel shows it, in milliseconds. */
const look = (state: string, runMs: number, waitMs: number, timeslices: number): ThreadLook => ({
  state,
  runNs: runMs * 1e6,
  waitNs: waitMs * 1e6,
  timeslices,
});

describe('waitedMs', () => {

  it('counts the waits the kernel has added up, never more than the span', () => {
    expect(waitedMs(look('S', 10, 5, 3), look('S', 12, 305, 9), 1000)).toBe(300);
    expect(waitedMs(look('S', 10, 5, 3), look('R', 12, 5005, 9), 1000)).toBe(1000);
  });

  it('sees a wait still under way: runnable at both looks and no CPU in between', () => {
    expect(waitedMs(look('R', 10, 5, 3), look('R', 10, 5, 3), 1000)).toBe(1000);
    // Woken from sleep in between, or given the CPU: that wait is unknown until it ends, or shows up once it has.
    expect(waitedMs(look('S', 10, 5, 3), look('R', 10, 5, 3), 1000)).toBe(0);
    expect(waitedMs(look('R', 10, 5, 3), look('R', 11, 405, 4), 1000)).toBe(400);
  });

  it('counts nothing for a stopped, blocked or busy-looping thread', () => {
    expect(waitedMs(look('T', 10, 5, 3), look('T', 10, 5, 3), 1000)).toBe(0);
    expect(waitedMs(look('D', 10, 5, 3), look('D', 10, 5, 3), 1000)).toBe(0);
    expect(waitedMs(look('R', 10, 5, 3), look('R', 1010, 5, 3), 1000)).toBe(0);
    expect(waitedMs(undefined, look('R', 10, 5, 3), 1000)).toBe(0);
  });
});

describe('workerWaitedMs', () => {
  const thread = look;
  const worker = (main: ThreadLook, others?: Record<number, ThreadLook>): WorkerLook => ({
    main,
    others: others === undefined ? undefined : new Map(Object.entries(others).map(([tid, other]) => [Number(tid), other])),
  });

  it("counts the event loop's own wait and what it ran", () => {
    expect(workerWaitedMs(worker(thread('R', 10, 5, 3)), worker(thread('R', 10, 5, 3)), 100)).toEqual({ waitedMs: 100, ranMs: 0, frozen: true, carriedMs: 100 });
    expect(workerWaitedMs(worker(thread('R', 10, 5, 3)), worker(thread('R', 30, 75, 5)), 100)).toEqual({ waitedMs: 70, ranMs: 20, frozen: false, carriedMs: 0 });
    expect(workerWaitedMs(undefined, worker(thread('R', 10, 5, 3)), 100)).toEqual({ waitedMs: 0, ranMs: 0, frozen: false, carriedMs: 0 });
  });

  it('credits a wait of the event loop that spans several looks in full, its head too, and once', () => {
    // Ran 10 ms, then waited 350 ms: it began 50 ms before the end of the first span and ended in the fourth.
    const looks = [thread('R', 0, 0, 1), thread('R', 10, 0, 2), thread('R', 10, 0, 2), thread('R', 10, 0, 2), thread('R', 60, 350, 3)];
    let carriedMs = 0;
    let totalMs = 0;
    for (let index = 1; index < looks.length; index++) {
      const span = workerWaitedMs(worker(looks[index - 1]!), worker(looks[index]!), 100, carriedMs);
      carriedMs = span.carriedMs;
      totalMs += span.waitedMs;
    }
    expect(totalMs).toBe(350);
    expect(carriedMs).toBe(0);
  });

  it('counts the wait of a thread the sleeping event loop waits on: a module read by libuv\'s pool, a compile by V8', () => {
    const before = worker(thread('S', 10, 5, 3), { 11: thread('R', 1, 0, 1), 12: thread('S', 1, 0, 1) });
    const after = worker(thread('S', 10, 5, 3), { 11: thread('R', 1, 0, 1), 12: thread('S', 1, 0, 1) });
    expect(workerWaitedMs(before, after, 100)).toEqual({ waitedMs: 100, ranMs: 0, frozen: true, carriedMs: 0 });
    // A thread that is new since the last look tells nothing yet; threads not looked at (no silence yet) neither.
    expect(workerWaitedMs(worker(thread('S', 10, 5, 3), {}), after, 100).waitedMs).toBe(0);
    expect(workerWaitedMs(worker(thread('S', 10, 5, 3)), after, 100).waitedMs).toBe(0);
  });

  it("never excuses the time the event loop ran, and takes the longest thread's wait, not the sum", () => {
    // A busy loop beside a starved helper: only what the loop did not run is the helper's wait.
    const before = worker(thread('R', 10, 5, 3), { 11: thread('R', 1, 0, 1), 12: thread('R', 1, 0, 1) });
    const after = worker(thread('R', 70, 5, 4), { 11: thread('R', 1, 0, 1), 12: thread('R', 1, 0, 1) });
    expect(workerWaitedMs(before, after, 100)).toEqual({ waitedMs: 40, ranMs: 60, frozen: false, carriedMs: 0 });
    const fully = worker(thread('R', 110, 5, 4), { 11: thread('R', 1, 0, 1), 12: thread('R', 1, 0, 1) });
    expect(workerWaitedMs(before, fully, 100)).toEqual({ waitedMs: 0, ranMs: 100, frozen: false, carriedMs: 0 });
  });
});
