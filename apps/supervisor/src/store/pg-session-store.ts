/**
 * SessionStore on the cluster's PostgreSQL database (postgres.ts): the records the SQLite store hands out, with
 * metadata, webhooks, lastError and me in jsonb columns.
 *
 * An update is one statement: the compare-and-set, the fence and the reason of a refusal (`missing`, `fenced`,
 * `conflict`) are decided together, so the common write without events is one round trip; a write with events
 * runs that statement and their append in one transaction.
 *
 * Fencing. A fenced update reads its lease row `FOR SHARE` in the statement that writes the session. A takeover
 * (an update of the lease row) therefore waits until the write has committed, and a write that reaches the lease
 * while a takeover is committing waits for it, re-reads the row and is refused. So no write of a former owner
 * lands after the new owner took the session, not only none after the lease was seen expired. `expires_at` is
 * compared with the database's `now()`: one clock for the cluster.
 */
import { appendPgEvents } from '../events/pg-events.js';
import type { AppendedEvent } from '../events/outbox-store.js';
import type { SessionPatch, SessionRecord } from '../session/session-record.js';
import { COLUMNS, JSON_FIELDS, toJson, toRecord as rowToRecord, type SessionRow } from './session-row.js';
import type { Fence } from './fence.js';
import type { PostgresDatabase, Queryable } from './postgres.js';
import type { InsertResult, SessionStore, UpdateOptions, UpdateResult } from './session-store.js';

/** A row as `pg` returns it: jsonb already parsed, integer as number. */
type Row = SessionRow<false>;

/** The update statement's one row: the written row (all null when refused), and why a refusal happened. */
type Outcome = (Row | { [K in keyof Row]: null }) & { found: boolean; held: boolean };

/** The compare-and-set (fenced when `fence` is given), with its parameters; see the header for the lock. */
function updateStatement(sessionId: string, expectedVersion: number, patch: SessionPatch, fence: Fence | undefined): { text: string; values: unknown[] } {
  const values: unknown[] = [sessionId, expectedVersion];
  const assignments: string[] = [];
  for (const field of Object.keys(patch) as (keyof SessionPatch)[]) {
    const value = patch[field];
    if (value === undefined) continue;
    const json = JSON_FIELDS.has(field);
    values.push(json ? toJson(value) : value);
    assignments.push(`${COLUMNS[field]} = $${values.length}${json ? '::jsonb' : ''}`);
  }
  assignments.push('version = version + 1');
  if (fence === undefined) {
    return {
      text: `WITH updated AS (
               UPDATE sessions SET ${assignments.join(', ')} WHERE session_id = $1 AND version = $2 RETURNING *
             )
             SELECT updated.*, EXISTS (SELECT 1 FROM sessions WHERE session_id = $1) AS found, true AS held
               FROM (VALUES (1)) AS one LEFT JOIN updated ON true`,
      values,
    };
  }
  values.push(fence.nodeId, fence.epoch);
  const [node, epoch] = [values.length - 1, values.length];
  return {
    // `lease` is read twice (the write's condition, the refusal's reason) and materialized once.
    text: `WITH lease AS (
             SELECT 1 FROM session_leases
              WHERE session_id = $1 AND node_id = $${node} AND epoch = $${epoch} AND expires_at > now()
              FOR SHARE
           ), updated AS (
             UPDATE sessions SET ${assignments.join(', ')}
              WHERE session_id = $1 AND version = $2 AND EXISTS (SELECT 1 FROM lease)
             RETURNING *
           )
           SELECT updated.*, EXISTS (SELECT 1 FROM sessions WHERE session_id = $1) AS found, EXISTS (SELECT 1 FROM lease) AS held
             FROM (VALUES (1)) AS one LEFT JOIN updated ON true`,
    values,
  };
}

export class PgSessionStore implements SessionStore {
  readonly #database: PostgresDatabase;

  /** The database is migrated when opened (PostgresDatabase.open); the store holds one use of it until closed. */
  constructor(database: PostgresDatabase) {
    this.#database = database.acquire();
  }

  async list(): Promise<SessionRecord[]> {
    // Byte order, as SQLite compares text: the database's collation (en_US, say) would order ids otherwise.
    const { rows } = await this.#database.query<Row>('SELECT * FROM sessions ORDER BY created_at COLLATE "C", session_id COLLATE "C"');
    return rows.map(toRecord);
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#database.query<Row>('SELECT * FROM sessions WHERE session_id = $1', [sessionId]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async insert(record: SessionRecord): Promise<InsertResult> {
    // DO NOTHING rather than catching 23505: a taken id is an answer, not an error, and two nodes inserting the
    // same id at once get one `ok` and one `exists` (the second waits for the first to commit).
    const { rowCount } = await this.#database.query(
      `INSERT INTO sessions (session_id, engine, desired_state, status, restarts, metadata, webhooks, last_error, me,
                             created_at, updated_at, started_at, ready_at, proxy, version)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (session_id) DO NOTHING`,
      [
        record.sessionId,
        record.engine,
        record.desiredState,
        record.status,
        record.restarts,
        toJson(record.metadata),
        toJson(record.webhooks),
        toJson(record.lastError),
        toJson(record.me),
        record.createdAt,
        record.updatedAt,
        record.startedAt,
        record.readyAt,
        record.proxy,
        record.version,
      ],
    );
    return rowCount === 1 ? { ok: true } : { ok: false, reason: 'exists' };
  }

  async update(sessionId: string, expectedVersion: number, patch: SessionPatch, options: UpdateOptions = {}): Promise<UpdateResult> {
    const { text, values } = updateStatement(sessionId, expectedVersion, patch, options.fence);
    const caused = options.events;
    const write = async (client: Queryable): Promise<UpdateResult> => {
      const { rows } = await client.query<Outcome>(text, values);
      const outcome = rows[0]!;
      if (outcome.session_id === null) {
        // A lost lease before a stale version: re-reading the row cures a conflict, nothing cures a lost lease.
        return { ok: false, reason: !outcome.found ? 'missing' : !outcome.held ? 'fenced' : 'conflict' };
      }
      const appended: AppendedEvent[] = caused === undefined ? [] : await appendPgEvents(client, caused.events, caused.claim);
      return { ok: true, record: toRecord(outcome), appended };
    };
    // Without events the statement is its own transaction: one round trip.
    if (caused === undefined || caused.events.length === 0) return write(this.#database.pool);
    // An append that throws rolls the change back with it; a refused change appends nothing and commits nothing.
    return this.#database.transaction(write);
  }

  async delete(sessionId: string, expectedVersion?: number): Promise<boolean> {
    const { rowCount } =
      expectedVersion === undefined
        ? await this.#database.query('DELETE FROM sessions WHERE session_id = $1', [sessionId])
        : await this.#database.query('DELETE FROM sessions WHERE session_id = $1 AND version = $2', [sessionId, expectedVersion]);
    return rowCount === 1;
  }

  async close(): Promise<void> {
    await this.#database.release();
  }
}

const toRecord = (row: Row): SessionRecord => rowToRecord(row, false);
