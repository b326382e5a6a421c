/**
 * Auth snapshots in PostgreSQL's `auth_state`, written under the owner's fence.
 *
 * A save is one statement that checks the lease and writes: the lease row is read `FOR SHARE`, so a takeover
 * (which updates that row) waits for a save in progress to commit, and a save that meets a takeover re-reads
 * the row once it commits, finds another node or epoch and writes nothing. Once a takeover has committed, no
 * save of the former owner can land after it: the new owner loads the last snapshot saved under the old lease.
 * (A renewal of the lease waits for a save's write likewise.) Expiry is judged by the database's clock, never
 * the node's.
 *
 * An unchanged snapshot is recognised by a probe that sends no data (a periodic save of a quiet session costs
 * one small round trip); the writing statement checks the sha256 again in case it changed in between.
 */
import type { PostgresDatabase } from '../store/postgres.js';
import type { Fence } from '../store/fence.js';
import type { AuthSnapshot } from './auth-snapshot.js';
import type { AuthSaveOutcome, AuthStateStore, StoredAuthState } from './auth-state-store.js';

/** The fence's lease, held now; $1 session, $2 node, $3 epoch. */
const HELD_LEASE = `SELECT session_id FROM session_leases
  WHERE session_id = $1 AND node_id = $2 AND epoch = $3 AND expires_at > now()`;

export class PgAuthStateStore implements AuthStateStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async load(sessionId: string): Promise<StoredAuthState | undefined> {
    const { rows } = await this.#database.query<{ data: Buffer; sha256: string; epoch: string }>(
      'SELECT data, sha256, epoch FROM auth_state WHERE session_id = $1',
      [sessionId],
    );
    const row = rows[0];
    return row === undefined ? undefined : { data: row.data, sha256: row.sha256, epoch: Number(row.epoch) };
  }

  async save(sessionId: string, snapshot: Pick<AuthSnapshot, 'data' | 'sha256'>, fence: Fence): Promise<AuthSaveOutcome> {
    const fenceValues = [sessionId, fence.nodeId, fence.epoch];
    const probe = await this.#database.query<{ held: boolean; sha256: string | null }>(
      `SELECT EXISTS (${HELD_LEASE}) AS held, (SELECT sha256 FROM auth_state WHERE session_id = $1) AS sha256`,
      fenceValues,
    );
    const { held, sha256 } = probe.rows[0]!;
    if (!held) return 'fenced';
    if (sha256 === snapshot.sha256) return 'unchanged';
    const { rows } = await this.#database.query<{ held: boolean; written: boolean }>(
      `WITH lease AS (${HELD_LEASE} FOR SHARE),
       written AS (
         INSERT INTO auth_state (session_id, epoch, sha256, data, saved_at)
         SELECT session_id, $3, $4, $5, now() FROM lease
         ON CONFLICT (session_id) DO UPDATE
           SET epoch = excluded.epoch, sha256 = excluded.sha256, data = excluded.data, saved_at = excluded.saved_at
           WHERE auth_state.sha256 <> excluded.sha256
         RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM lease) AS held, EXISTS (SELECT 1 FROM written) AS written`,
      [...fenceValues, snapshot.sha256, snapshot.data],
    );
    const outcome = rows[0]!;
    if (!outcome.held) return 'fenced';
    return outcome.written ? 'saved' : 'unchanged';
  }

  async delete(sessionId: string, fence?: Fence): Promise<'deleted' | 'fenced'> {
    if (fence === undefined) {
      await this.#database.query('DELETE FROM auth_state WHERE session_id = $1', [sessionId]);
      return 'deleted';
    }
    const { rows } = await this.#database.query<{ held: boolean }>(
      `WITH lease AS (${HELD_LEASE} FOR SHARE),
       gone AS (DELETE FROM auth_state WHERE session_id = (SELECT session_id FROM lease))
       SELECT EXISTS (SELECT 1 FROM lease) AS held`,
      [sessionId, fence.nodeId, fence.epoch],
    );
    return rows[0]!.held ? 'deleted' : 'fenced';
  }
}
