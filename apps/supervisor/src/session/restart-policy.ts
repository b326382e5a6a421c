/**
 * When a worker dies unexpectedly: restart after a capped exponential backoff with jitter, or give up.
 * Pure functions of the crash history, so they are tested without clocks or processes.
 *
 * - A worker that ran at least `stableAfterMs` before it died starts a new series: the count resets.
 * - The n-th consecutive crash waits min(maxDelayMs, baseDelayMs · 2^(n-1)), minus up to `jitter` of it
 *   at random, so sessions that crashed together do not restart in lockstep. baseDelayMs 0 restarts at once.
 * - More than `maxConsecutiveCrashes` in a row is a crash loop: give up (the session becomes `failed`).
 */
export interface RestartPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxConsecutiveCrashes: number;
  stableAfterMs: number;
  /** 0..1: the share of a delay that may be taken off at random. */
  jitter: number;
}

export interface CrashFacts {
  /** Consecutive crashes before this one. */
  previousCrashes: number;
  /** How long the worker that just died had been running. */
  uptimeMs: number;
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; consecutiveCrashes: number }
  | { action: 'give-up'; consecutiveCrashes: number };

export function backoffDelay(policy: RestartPolicy, attempt: number, random: () => number = Math.random): number {
  if (policy.baseDelayMs <= 0) return 0;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (1 - policy.jitter * random()));
}

export function decideRestart(
  policy: RestartPolicy,
  crash: CrashFacts,
  random: () => number = Math.random,
): RestartDecision {
  const consecutiveCrashes = (crash.uptimeMs >= policy.stableAfterMs ? 0 : crash.previousCrashes) + 1;
  if (consecutiveCrashes > policy.maxConsecutiveCrashes) return { action: 'give-up', consecutiveCrashes };
  return { action: 'restart', delayMs: backoffDelay(policy, consecutiveCrashes, random), consecutiveCrashes };
}
