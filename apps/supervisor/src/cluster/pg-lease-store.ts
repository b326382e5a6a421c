/** LeaseStore on PostgreSQL (lease-store.ts). Every decision about time is the database's `now()`. */
import type { Fence } from '../store/fence.js';
import type { PostgresDatabase } from '../store/postgres.js';
import type { Lease, LeaseHolder, LeaseStore, LeaseTimings, OrphanSession } from './lease-store.js';

/** Released leases expire at -infinity: free at once, grace included (-infinity plus any interval is still -infinity). */
const RELEASED = "'-infinity'::timestamptz";

/** Free: expired for longer than the grace, or released. */
const FREE = (lease: string, grace: string): string => `${lease}.expires_at + (${grace} * interval '1 millisecond') < now()`;

export class PgLeaseStore implements LeaseStore {
  readonly #db: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#db = database.acquire();
  }

  async acquire(sessionId: string, nodeId: string, timings: LeaseTimings): Promise<Lease | undefined> {
    // One statement: insert the first lease, or take a free one, with a new epoch from the cluster's sequence
    // (larger than any handed out before, for any session). Concurrent claimants are
    // serialized on the row; the loser's WHERE sees the winner's fresh lease and takes nothing. The session row
    // must exist (foreign key): a deleted session is not claimed.
    const { rows } = await this.#db.query<{ epoch: string }>(
      `INSERT INTO session_leases AS l (session_id, node_id, epoch, expires_at)
       SELECT session_id, $2, nextval('lease_epochs'), now() + ($3 * interval '1 millisecond') FROM sessions WHERE session_id = $1
       ON CONFLICT (session_id) DO UPDATE
         SET node_id = excluded.node_id, epoch = excluded.epoch, expires_at = excluded.expires_at
         WHERE ${FREE('l', '$4')}
       RETURNING epoch`,
      [sessionId, nodeId, timings.leaseMs, timings.graceMs],
    );
    const row = rows[0];
    return row === undefined ? undefined : { sessionId, nodeId, epoch: Number(row.epoch) };
  }

  async renew(nodeId: string, sessionIds: readonly string[], leaseMs: number): Promise<Lease[]> {
    if (sessionIds.length === 0) return [];
    const { rows } = await this.#db.query<{ session_id: string; epoch: string }>(
      `UPDATE session_leases SET expires_at = now() + ($3 * interval '1 millisecond')
       WHERE node_id = $1 AND session_id = ANY($2::text[]) AND expires_at > now() RETURNING session_id, epoch`,
      [nodeId, sessionIds, leaseMs],
    );
    return rows.map((row) => ({ sessionId: row.session_id, nodeId, epoch: Number(row.epoch) }));
  }

  async release(lease: Lease): Promise<boolean> {
    // Free at once: the nodes are told (pg-listener.ts), so one of them takes it now, not at its next round.
    const { rowCount } = await this.#db.query(
      `WITH released AS (
         UPDATE session_leases SET expires_at = ${RELEASED} WHERE session_id = $1 AND node_id = $2 AND epoch = $3 RETURNING 1
       ) SELECT pg_notify('wsm_leases', '') FROM released`,
      [lease.sessionId, lease.nodeId, lease.epoch],
    );
    return rowCount === 1;
  }

  async holder(sessionId: string): Promise<LeaseHolder | undefined> {
    const { rows } = await this.#db.query<{ node_id: string; epoch: string; live: boolean }>(
      'SELECT node_id, epoch, expires_at > now() AS live FROM session_leases WHERE session_id = $1',
      [sessionId],
    );
    const row = rows[0];
    return row === undefined ? undefined : { nodeId: row.node_id, epoch: Number(row.epoch), live: row.live };
  }

  async liveHolders(): Promise<Map<string, Fence>> {
    const { rows } = await this.#db.query<{ session_id: string; node_id: string; epoch: string }>(
      'SELECT session_id, node_id, epoch FROM session_leases WHERE expires_at > now()',
    );
    return new Map(rows.map((row) => [row.session_id, { nodeId: row.node_id, epoch: Number(row.epoch) }]));
  }

  async orphans(graceMs: number, limit: number): Promise<OrphanSession[]> {
    const { rows } = await this.#db.query<{ session_id: string; created_at: string }>(
      `SELECT s.session_id, s.created_at FROM sessions s LEFT JOIN session_leases l ON l.session_id = s.session_id
       WHERE s.desired_state = 'running' AND (l.session_id IS NULL OR ${FREE('l', '$1')})
       ORDER BY s.created_at, s.session_id LIMIT $2`,
      [graceMs, limit],
    );
    return rows.map((row) => ({ sessionId: row.session_id, createdAt: row.created_at }));
  }

  async close(): Promise<void> {
    await this.#db.release();
  }
}
