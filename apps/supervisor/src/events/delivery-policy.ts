/**
 * What to do after a webhook attempt: a 2xx ends the delivery; anything else (another status, a timeout, a
 * refused connection) is retried with capped exponential backoff and jitter until `maxAttempts`, then the
 * delivery is kept as failed. Pure, tested without a clock.
 */
import { backoffDelay, type BackoffPolicy } from '../backoff.js';

export interface DeliveryPolicy extends BackoffPolicy {
  maxAttempts: number;
}

export type DeliveryDecision =
  | { action: 'delivered' }
  | { action: 'retry'; delayMs: number }
  | { action: 'fail' };

export function decideDelivery(
  policy: DeliveryPolicy,
  attempts: number,
  statusCode: number | null,
  random: () => number = Math.random,
): DeliveryDecision {
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { action: 'delivered' };
  if (attempts >= policy.maxAttempts) return { action: 'fail' };
  return { action: 'retry', delayMs: backoffDelay(policy, attempts, random) };
}

/** The shortest time a delivery keeps being retried before it fails: its delays with the most jitter taken off. */
export function retrySpanMs(policy: DeliveryPolicy): number {
  let total = 0;
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) total += backoffDelay(policy, attempt, () => 1);
  return total;
}
