/**
 * When a silent worker is hung. Silence counts only while both ends could run: not while the supervisor's event
 * loop was stalled (SIGSTOPped, its VM or container paused, a long GC: it could not have heard a heartbeat), and
 * not while the worker was held back waiting for a CPU (starved: it could not have sent one; run-queue-wait.ts
 * says what counts as its wait). Pure: the watchdog (heartbeat-watchdog.ts) measures, this decides; tested without
 * clocks or processes.
 *
 * - A worker stopped by SIGSTOP waits for no CPU, a busy-looping one gets the CPU, one blocked in a synchronous
 *   call sleeps: their silence all counts, and they are hung after `timeoutMs`.
 * - A worker starved for good is as lost as a hung one: once it could not run at all (no CPU for any of it while
 *   it waited for one) for `starvedLimitMs` on end, of a silence the supervisor was there to hear, it is hung
 *   whatever it waited. A worker that gets a share of the CPU, however small, is slow, not lost: a burst of
 *   launches on a starved machine (workers at a lower priority than CPU burners, loading their engine) makes
 *   progress in short slices, and judging it on its whole silence killed it at the limit. Adding up the stretches
 *   without a CPU did too, when the limit was short (1.5 s of them at a 250 ms timeout, in a 4.7 s silence that
 *   ran 449 ms): only an unbroken stretch is starvation for good. A busy loop that the kernel's accounting
 *   shows as not running (a tickless CPU) still meets the limit.
 * - A silence the worker announced (`worker.blocking`: it is about to load whatsapp-web.js and puppeteer, one
 *   synchronous `require` no heartbeat can interrupt) may run for the starved limit instead of the timeout. That
 *   step ran 0.37–0.51 s on the event loop here, idle or beside CPU burners, in a silence of seconds when starved,
 *   and longer on a slower machine: judged at a short HEARTBEAT_TIMEOUT_MS, a healthy worker was killed in it,
 *   again at every restart. A hang inside it is still caught, later, and the next message ends the allowance.
 */

export interface HangPolicy {
  /** HEARTBEAT_TIMEOUT_MS: the silence a worker may keep for time it could run. */
  timeoutMs: number;
  /** Heard silence in which the worker could not run at all, after which it is judged anyway. */
  starvedLimitMs: number;
}

/** A starved worker gets this many timeouts (60 s with the default 10 s) before it is judged anyway. */
export const STARVED_LIMIT_TIMEOUTS = 6;

export function hangPolicy(timeoutMs: number): HangPolicy {
  return { timeoutMs, starvedLimitMs: timeoutMs * STARVED_LIMIT_TIMEOUTS };
}

/** One silence, from the worker's last message until now. */
export interface SilenceFacts {
  /** Monotonic time since the last message from the worker. */
  silentMs: number;
  /** How much of it the supervisor's event loop could not run. */
  supervisorStalledMs: number;
  /** How much of it the worker was held back waiting for a CPU (0 when unknown). */
  workerWaitingMs: number;
  /** The stretch of that wait, up to now and unbroken, in which nothing of the worker ran at all (0 when unknown). */
  workerFrozenMs: number;
  /** The worker announced this silence as a long synchronous step (`worker.blocking`). */
  blocking: boolean;
}

/** Why a silence past the timeout is not a hang (yet). */
export type HangExcuse = 'supervisor-stalled' | 'worker-starved' | 'worker-blocking';

export type HangDecision =
  | { verdict: 'hung'; countedMs: number; reason: 'silent' | 'starved-too-long' }
  | { verdict: 'alive'; countedMs: number; excuse: HangExcuse | undefined };

export function decideHang(policy: HangPolicy, facts: SilenceFacts): HangDecision {
  const heardMs = Math.max(0, facts.silentMs - facts.supervisorStalledMs);
  // A stall and a wait at once (the whole machine starved) are both subtracted: that can only delay a verdict,
  // by no more than the worker was kept from running.
  const countedMs = Math.max(0, heardMs - facts.workerWaitingMs);
  if (countedMs >= (facts.blocking ? policy.starvedLimitMs : policy.timeoutMs)) return { verdict: 'hung', countedMs, reason: 'silent' };
  if (Math.min(heardMs, facts.workerFrozenMs) >= policy.starvedLimitMs) return { verdict: 'hung', countedMs, reason: 'starved-too-long' };
  if (facts.silentMs < policy.timeoutMs) return { verdict: 'alive', countedMs, excuse: undefined };
  // Past the timeout only by the allowance of its announced step: that is what spares it.
  if (countedMs >= policy.timeoutMs) return { verdict: 'alive', countedMs, excuse: 'worker-blocking' };
  // Credit the larger of the two for the reprieve.
  return { verdict: 'alive', countedMs, excuse: facts.supervisorStalledMs >= facts.workerWaitingMs ? 'supervisor-stalled' : 'worker-starved' };
}
