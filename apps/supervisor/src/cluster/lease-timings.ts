/**
 * The lease's clock, all derived from LEASE_MS so that one setting cannot contradict another:
 *
 *   0            a renewal starts (monotonic time t; the database stamps the lease at now() ≥ t)
 *   renewEvery   the next renewal starts; a failed one is retried at the same pace
 *   fenceAfter   no renewal has succeeded since t: the node kills its workers and their browsers, and each
 *                worker kills itself at this moment on its own (supervisor.lease), even if the node is paused
 *   lease        the lease expires by the database's clock (no earlier: it was stamped at a now() ≥ t)
 *   lease+grace  another node may take the session and start it
 *
 * So between the last moment a worker may run (fenceAfter) and the first moment its successor may start
 * (lease + grace) there are `lease - fenceAfter + grace` ms (0.6 × LEASE_MS): room for timers that fire late on a
 * loaded machine and for a SIGKILL to take effect. Timings on the monotonic clock, never the wall clock.
 */
export interface ClusterTimings {
  leaseMs: number;
  renewEveryMs: number;
  fenceAfterMs: number;
  graceMs: number;
}

/** The contract's minimum: below it, renewals would come too close together for a database round trip. */
export const MIN_LEASE_MS = 5_000;

export function clusterTimings(leaseMs: number): ClusterTimings {
  if (!Number.isFinite(leaseMs) || leaseMs < MIN_LEASE_MS) throw new RangeError(`LEASE_MS must be at least ${MIN_LEASE_MS}`);
  return {
    leaseMs,
    renewEveryMs: Math.round(leaseMs / 5),
    fenceAfterMs: Math.round(leaseMs * 0.6),
    graceMs: Math.round(leaseMs * 0.2),
  };
}

/** Until when a node that started its last successful renewal at `renewStartedMs` may run its sessions. */
export const fenceDeadline = (timings: ClusterTimings, renewStartedMs: number): number => renewStartedMs + timings.fenceAfterMs;
