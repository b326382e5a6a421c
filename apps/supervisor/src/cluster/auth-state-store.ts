/**
 * Where a cluster keeps each session's pairing (an auth snapshot, auth-snapshot.ts), so that the node taking a
 * session over brings it back `ready` without a new QR. How an owner uses it:
 *   - save once the session has been `ready` (before that a webjs profile holds no pairing worth keeping),
 *     again from time to time while it runs (a live copy; unchanged snapshots cost no write), and after a
 *     graceful stop, when the browser has exited and the copy is whole;
 *   - on taking a lease, load and unpack before the worker starts, replacing whatever profile an earlier
 *     ownership left on this node's disk;
 *   - on logout, delete (fenced), or the next owner would restore a pairing the phone has revoked.
 *
 * Only the cluster store (PostgreSQL, pg-auth-state-store.ts) implements it. A single node keeps the pairing
 * where the engine writes it, in its session directory under DATA_DIR, which is already durable and where the
 * same node finds it again: there is nothing to copy, so SQLite has no implementation.
 */
import type { Fence } from '../store/fence.js';
import type { AuthSnapshot } from './auth-snapshot.js';

export interface StoredAuthState {
  /** The gzipped archive, for unpackAuthState. */
  data: Buffer;
  sha256: string;
  /** The lease epoch of the owner that saved it. */
  epoch: number;
}

/**
 * `saved`: written. `unchanged`: the stored snapshot has this sha256 already; nothing written. `fenced`: the
 * fence's lease is not (or no longer) held by this node at this epoch, unexpired; nothing written.
 */
export type AuthSaveOutcome = 'saved' | 'unchanged' | 'fenced';

export interface AuthStateStore {
  load(sessionId: string): Promise<StoredAuthState | undefined>;
  /** Writes only under a lease held now (checked by the database, in the writing statement). */
  save(sessionId: string, snapshot: Pick<AuthSnapshot, 'data' | 'sha256'>, fence: Fence): Promise<AuthSaveOutcome>;
  /**
   * Forgets the pairing (a logout). With a fence, only while its lease is held: a former owner cannot delete
   * what the new one relies on. Deleting the session deletes its auth state with it (the schema cascades).
   */
  delete(sessionId: string, fence?: Fence): Promise<'deleted' | 'fenced'>;
}
