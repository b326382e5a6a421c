/**
 * Who runs each session in a cluster: one lease row per session, held by one node until it expires. Expiry is
 * judged by the database's clock (`now()`), never a node's. `epoch` grows at every change of holder and is the
 * fencing token (store/fence.ts) every write of the holder carries, so a paused or cut-off former holder can
 * change nothing once another holds the session.
 *
 * A lease is taken only when free: never held, released, or expired for longer than the grace period. The grace
 * covers a former holder that stopped renewing: it kills its workers before its leases expire (cluster-node.ts),
 * and the grace adds a margin for what its machine still needed to end them.
 *
 * Not an advisory lock: those belong to one connection and are lost under PgBouncer's transaction pooling and on
 * a database restart, where a lease row keeps its meaning.
 */
import type { Fence } from '../store/fence.js';

export interface Lease extends Fence {
  sessionId: string;
}

export interface LeaseHolder {
  nodeId: string;
  epoch: number;
  /** Unexpired by the database's clock (a released lease is not live). */
  live: boolean;
}

export interface LeaseTimings {
  leaseMs: number;
  graceMs: number;
}

export interface OrphanSession {
  sessionId: string;
  createdAt: string;
}

export interface LeaseStore {
  /** Takes the session's lease for `nodeId` if it is free; resolves with the new fence, or undefined when held. */
  acquire(sessionId: string, nodeId: string, timings: LeaseTimings): Promise<Lease | undefined>;
  /**
   * Extends the given unexpired leases of `nodeId` by `leaseMs` from the database's now, in one statement;
   * resolves with those it still holds. A lease missing from the answer is lost: its session must stop here.
   * Only the leases the node runs are renewed: one it gave up (it fenced itself while the database was out of
   * reach) is left to expire, so it cannot stay held by a node that no longer runs it.
   */
  renew(nodeId: string, sessionIds: readonly string[], leaseMs: number): Promise<Lease[]>;
  /** Gives the lease up at once (the worker is gone): the next holder need not wait for expiry or grace. */
  release(lease: Lease): Promise<boolean>;
  /** The holder of one session's lease, live or not; undefined when it never had one. */
  holder(sessionId: string): Promise<LeaseHolder | undefined>;
  /** The live holder of every session that has one. */
  liveHolders(): Promise<Map<string, Fence>>;
  /** Sessions meant to run whose lease is free (see above), oldest first: what live nodes share out. */
  orphans(graceMs: number, limit: number): Promise<OrphanSession[]>;
}
