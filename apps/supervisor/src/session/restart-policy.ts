/**
 * When a worker dies unexpectedly: restart after a capped exponential backoff with jitter (backoff.ts),
 * or give up. Pure functions of the crash history, so they are tested without clocks or processes.
 *
 * - A worker that ran at least `stableAfterMs` before it died starts a new series: the count resets.
 * - More than `maxConsecutiveCrashes` in a row is a crash loop: give up (the session becomes `failed`).
 */
import { backoffDelay, type BackoffPolicy } from '../backoff.js';

export interface RestartPolicy extends BackoffPolicy {
  maxConsecutiveCrashes: number;
  stableAfterMs: number;
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

export function decideRestart(
  policy: RestartPolicy,
  crash: CrashFacts,
  random: () => number = Math.random,
): RestartDecision {
  const consecutiveCrashes = (crash.uptimeMs >= policy.stableAfterMs ? 0 : crash.previousCrashes) + 1;
  if (consecutiveCrashes > policy.maxConsecutiveCrashes) return { action: 'give-up', consecutiveCrashes };
  return { action: 'restart', delayMs: backoffDelay(policy, consecutiveCrashes, random), consecutiveCrashes };
}
