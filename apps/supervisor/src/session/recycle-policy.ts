/**
 * When to recycle a session's worker (a graceful restart that keeps the pairing, so no new QR): when its
 * memory (worker plus browser tree) passes the limit, or, if scheduled, when it has run long enough.
 * Memory growth over days is the most reported problem of WhatsApp Web clients. Pure; tested without processes.
 *
 * A worker younger than `minUptimeMs` is left alone: if a fresh session already passes the limit, recycling
 * it again and again would only churn.
 */
export interface RecyclePolicy {
  maxMemoryBytes: number | undefined;
  maxUptimeMs: number | undefined;
  minUptimeMs: number;
}

export interface RecycleFacts {
  status: string;
  totalBytes: number | undefined;
  uptimeMs: number;
}

export type RecycleReason = 'memory' | 'schedule';

export function decideRecycle(policy: RecyclePolicy, facts: RecycleFacts): RecycleReason | undefined {
  // Only a linked, connected session comes back by itself; one showing a QR would show a new one.
  if (facts.status !== 'ready' || facts.uptimeMs < policy.minUptimeMs) return undefined;
  if (policy.maxMemoryBytes !== undefined && facts.totalBytes !== undefined && facts.totalBytes > policy.maxMemoryBytes) {
    return 'memory';
  }
  if (policy.maxUptimeMs !== undefined && facts.uptimeMs >= policy.maxUptimeMs) return 'schedule';
  return undefined;
}
