/**
 * How long a claim on a webhook delivery lasts, and how often its holder renews it. A claim that is no longer
 * renewed (its holder died, hangs, or lost its database) expires, and any claimant takes the delivery over: a dead
 * supervisor's in-flight deliveries are sent by someone else, never lost. Pure, tested without a clock.
 */

/** Below this, a busy machine (a long GC pause, a slow disk) could let a live holder's claims expire. */
export const MIN_CLAIM_TTL_MS = 30_000;

export interface ClaimTiming {
  ttlMs: number;
  renewEveryMs: number;
}

/**
 * A request that began just before its holder's last renewal may run for the webhook timeout, then the shutdown
 * grace: the claim outlives that twice over, so a takeover never races a request that may still succeed. Renewed
 * three times per lifetime, so two missed renewals in a row still lose nothing.
 */
export function claimTiming(webhookTimeoutMs: number, closeGraceMs: number): ClaimTiming {
  const ttlMs = Math.max(MIN_CLAIM_TTL_MS, 2 * (webhookTimeoutMs + closeGraceMs));
  return { ttlMs, renewEveryMs: Math.floor(ttlMs / 3) };
}
