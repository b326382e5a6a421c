/**
 * Capped exponential backoff with jitter, shared by worker restarts and webhook retries.
 * The n-th consecutive attempt waits min(maxDelayMs, baseDelayMs · 2^(n-1)), minus up to `jitter` of it at
 * random, so things that failed together do not retry in lockstep. baseDelayMs 0 retries at once.
 */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0..1: the share of a delay that may be taken off at random. */
  jitter: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  if (policy.baseDelayMs <= 0) return 0;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (1 - policy.jitter * random()));
}
