/**
 * OutboxStore on the cluster's PostgreSQL database (store/postgres.ts), for several supervisors at once; the same
 * behaviour as SqliteOutboxStore, which is the reference. Events are appended by pg-events.ts and read by
 * pg-event-stream.ts (the cursor guarantee); this file holds the deliveries.
 *
 * Claims. Due rows are taken with `FOR UPDATE SKIP LOCKED`: claimants on several nodes pass each other's rows
 * instead of waiting for them, and no row is taken twice (a row another claimant changed meanwhile is checked
 * again once its lock is free, and dropped if no longer due). Finishes are conditional on the claim, like
 * SQLite's; one that waited for a row lock is checked against the row as the lock's holder left it.
 *
 * Lock order. Statements that change many claimed rows at once (renewing, recording a batch as delivered,
 * releasing) lock them in key order first: the dispatcher renews on a timer while batches are recorded, and two
 * statements locking the same rows in different orders would deadlock.
 */
import type { PostgresDatabase } from '../store/postgres.js';
import { ownerPrefix } from './claim-owner.js';
import type {
  AppendedEvent,
  Claim,
  Cursor,
  DeliveryFilter,
  DeliveryKey,
  DeliveryView,
  DueDelivery,
  FailOutcome,
  NewEvent,
  OutboxCounts,
  OutboxStore,
  RetryOutcome,
  StoredEvent,
} from './outbox-store.js';
import { pgCursorOf, pgEventsAfter, pgHeadCursor } from './pg-event-stream.js';
import { appendPgEvents } from './pg-events.js';

/** bigint columns come back as text (pg keeps all 64 bits); ours are epoch milliseconds and keys, well within 2^53. */
type Int8 = string;

interface ClaimRow {
  event_seq: Int8;
  target: string;
  attempts: number;
  envelope: string;
  id: string;
  type: string;
}

/**
 * One statement: expired claims first (oldest event first; they were due before anything pending now), then
 * pending and due ones (earliest attempt first) up to the limit; each search along deliveries_target_due, as in
 * SQLite. LIMIT sits above the row locks, so rows skipped as locked do not count against it.
 * $1 target, $2 now, $3 limit, $4 owner, $5 claim expiry.
 */
const CLAIM_DUE = `
  WITH expired AS (
    SELECT event_seq, target, 0 AS rank, 0::bigint AS due_ms FROM deliveries
     WHERE target = $1 AND status = 'sending' AND claim_expires_ms <= $2
     ORDER BY event_seq LIMIT $3 FOR UPDATE SKIP LOCKED
  ), pending AS (
    SELECT event_seq, target, 1 AS rank, next_attempt_ms AS due_ms FROM deliveries
     WHERE target = $1 AND status = 'pending' AND next_attempt_ms <= $2
     ORDER BY next_attempt_ms, event_seq LIMIT greatest($3 - (SELECT count(*) FROM expired), 0) FOR UPDATE SKIP LOCKED
  ), taken AS (
    UPDATE deliveries d SET status = 'sending', claimed_by = $4, claim_expires_ms = $5
      FROM (SELECT * FROM expired UNION ALL SELECT * FROM pending) due
     WHERE d.event_seq = due.event_seq AND d.target = due.target
    RETURNING d.event_seq, d.target, d.attempts, due.rank, due.due_ms
  )
  SELECT t.event_seq, t.target, t.attempts, e.envelope, e.id, e.type FROM taken t JOIN events e ON e.seq = t.event_seq
   ORDER BY t.rank, t.due_ms, t.event_seq`;

/** Due now: pending and its attempt time has come, or claimed and the claim has expired (taken over). */
const DUE = "((status = 'pending' AND next_attempt_ms <= $1) OR (status = 'sending' AND claim_expires_ms <= $1))";

/** The claimed rows matching `condition`, locked in key order (see Lock order above), for an UPDATE ... FROM held. */
const lockHeld = (condition: string): string =>
  `held AS (SELECT event_seq, target FROM deliveries WHERE status = 'sending' AND ${condition}
             ORDER BY event_seq, target FOR UPDATE)`;
const HELD_ROW = 'd.event_seq = held.event_seq AND d.target = held.target';

/** A finish counts only while the claim is still this owner's. $1 event key, $2 target, $3 owner. */
const HELD = "event_seq = $1 AND target = $2 AND status = 'sending' AND claimed_by = $3";

/** Failed deliveries of one event ($1), or of all when $1 is null. */
const FAILED_OF = "status = 'failed' AND ($1::text IS NULL OR event_seq = (SELECT seq FROM events WHERE id = $1))";

interface DeliveryRow {
  event_seq: Int8;
  target: string;
  status: DeliveryView['status'];
  attempts: number;
  next_attempt_ms: Int8;
  last_error: string | null;
  last_status: number | null;
  delivered_ms: Int8 | null;
  id: string;
  type: string;
  session_id: string;
  created_ms: Int8;
}

const iso = (ms: Int8 | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

export class PgOutboxStore implements OutboxStore {
  readonly #db: PostgresDatabase;

  /** The database is opened (and migrated) by its owner; this store is one of its users until close(). */
  constructor(database: PostgresDatabase) {
    this.#db = database.acquire();
  }

  /**
   * The cursors resolved are the events' places in the stream, final but not settled: a transaction still
   * running may yet commit an event before them (the exception in outbox-store.ts, Cursors).
   */
  async append(events: ReadonlyArray<NewEvent>, claim: Claim): Promise<AppendedEvent[]> {
    if (events.length === 0) return [];
    return this.#db.transaction((client) => appendPgEvents(client, events, claim));
  }

  eventsAfter(cursor: Cursor, limit: number): Promise<StoredEvent[]> {
    return pgEventsAfter(this.#db.pool, cursor, limit);
  }

  headCursor(): Promise<Cursor> {
    return pgHeadCursor(this.#db.pool);
  }

  cursorOf(eventId: string): Promise<Cursor> {
    return pgCursorOf(this.#db.pool, eventId);
  }

  async dueTargets(nowMs: number): Promise<string[]> {
    const { rows } = await this.#db.query<{ target: string }>(`SELECT DISTINCT target FROM deliveries WHERE ${DUE}`, [nowMs]);
    return rows.map((row) => row.target);
  }

  async claimDue(claim: Claim, nowMs: number, target: string, limit: number): Promise<DueDelivery[]> {
    if (limit <= 0) return [];
    const { rows } = await this.#db.query<ClaimRow>(CLAIM_DUE, [target, nowMs, limit, claim.owner, claim.untilMs]);
    return rows.map((row) => ({
      eventSeq: Number(row.event_seq),
      target: row.target,
      attempts: row.attempts,
      body: row.envelope,
      eventId: row.id,
      eventType: row.type,
    }));
  }

  async renewClaims(owner: string, untilMs: number): Promise<number> {
    const { rowCount } = await this.#db.query(
      `WITH ${lockHeld('claimed_by = $1')}
       UPDATE deliveries d SET claim_expires_ms = $2 FROM held WHERE ${HELD_ROW}`,
      [owner, untilMs],
    );
    return rowCount ?? 0;
  }

  async markDelivered(owner: string, deliveries: ReadonlyArray<DeliveryKey & { statusCode: number }>, nowMs: number): Promise<number> {
    if (deliveries.length === 0) return 0;
    // One statement for the batch: the keys as arrays, joined to the rows this owner still holds.
    const { rowCount } = await this.#db.query(
      `WITH done AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::integer[]) AS u(event_seq, target, status_code)),
            held AS (SELECT d.event_seq, d.target, done.status_code FROM deliveries d JOIN done USING (event_seq, target)
                      WHERE d.status = 'sending' AND d.claimed_by = $4 ORDER BY d.event_seq, d.target FOR UPDATE OF d)
       UPDATE deliveries d SET status = 'delivered', attempts = d.attempts + 1, last_status = held.status_code, last_error = NULL,
              delivered_ms = $5, claimed_by = NULL, claim_expires_ms = NULL
         FROM held WHERE ${HELD_ROW}`,
      [
        deliveries.map((delivery) => delivery.eventSeq),
        deliveries.map((delivery) => delivery.target),
        deliveries.map((delivery) => delivery.statusCode),
        owner,
        nowMs,
      ],
    );
    return rowCount ?? 0;
  }

  async markRetry(owner: string, { eventSeq, target }: DeliveryKey, outcome: RetryOutcome): Promise<boolean> {
    const { attempts, nextAttemptMs, error, statusCode } = outcome;
    const { rowCount } = await this.#db.query(
      `UPDATE deliveries SET status = 'pending', attempts = $4, next_attempt_ms = $5, last_error = $6, last_status = $7,
              claimed_by = NULL, claim_expires_ms = NULL WHERE ${HELD}`,
      [eventSeq, target, owner, attempts, nextAttemptMs, error, statusCode],
    );
    return (rowCount ?? 0) > 0;
  }

  async markFailed(owner: string, { eventSeq, target }: DeliveryKey, outcome: FailOutcome): Promise<boolean> {
    const { attempts, error, statusCode } = outcome;
    const { rowCount } = await this.#db.query(
      `UPDATE deliveries SET status = 'failed', attempts = $4, last_error = $5, last_status = $6,
              claimed_by = NULL, claim_expires_ms = NULL WHERE ${HELD}`,
      [eventSeq, target, owner, attempts, error, statusCode],
    );
    return (rowCount ?? 0) > 0;
  }

  async releaseClaims(node: string): Promise<number> {
    // starts_with, not LIKE: '_' is allowed in node ids and would be a wildcard.
    const { rowCount } = await this.#db.query(
      `WITH ${lockHeld('starts_with(claimed_by, $1)')}
       UPDATE deliveries d SET status = 'pending', claimed_by = NULL, claim_expires_ms = NULL FROM held WHERE ${HELD_ROW}`,
      [ownerPrefix(node)],
    );
    return rowCount ?? 0;
  }

  async nextDueMs(skipTargets: readonly string[], owner: string): Promise<number | undefined> {
    // Two subqueries, not one over both statuses: the pending one stays a lookup in deliveries_due.
    const { rows } = await this.#db.query<{ due: Int8 | null; expires: Int8 | null }>(
      `SELECT (SELECT min(next_attempt_ms) FROM deliveries WHERE status = 'pending' AND target <> ALL($1::text[])) AS due,
              (SELECT min(claim_expires_ms) FROM deliveries
                WHERE status = 'sending' AND claimed_by <> $2 AND target <> ALL($1::text[])) AS expires`,
      [skipTargets, owner],
    );
    const times = [rows[0]!.due, rows[0]!.expires].filter((ms): ms is Int8 => ms !== null).map(Number);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryView[]> {
    const { rows } = await this.#db.query<DeliveryRow>(
      `SELECT d.*, e.id, e.type, e.session_id, e.created_ms FROM deliveries d JOIN events e ON e.seq = d.event_seq
        WHERE ($1::text IS NULL OR d.status = $1) AND ($2::text IS NULL OR e.session_id = $2)
        ORDER BY d.event_seq DESC LIMIT $3`,
      [filter.status ?? null, filter.sessionId ?? null, filter.limit],
    );
    return rows.map((row) => ({
      eventId: row.id,
      eventType: row.type,
      sessionId: row.session_id,
      target: row.target,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_ms) : null,
      lastError: row.last_error,
      lastStatusCode: row.last_status,
      deliveredAt: iso(row.delivered_ms),
      createdAt: iso(row.created_ms)!,
    }));
  }

  async redeliver(eventId: string | undefined, nowMs: number): Promise<number> {
    const { rowCount } = await this.#db.query(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_ms = $2 WHERE ${FAILED_OF}`,
      [eventId ?? null, nowMs],
    );
    return rowCount ?? 0;
  }

  async discardFailed(eventId: string | undefined): Promise<number> {
    const { rowCount } = await this.#db.query(`DELETE FROM deliveries WHERE ${FAILED_OF}`, [eventId ?? null]);
    return rowCount ?? 0;
  }

  async prune(beforeMs: number): Promise<number> {
    const { rowCount } = await this.#db.query(
      `DELETE FROM events WHERE created_ms < $1
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = events.seq AND d.status <> 'delivered')`,
      [beforeMs],
    );
    return rowCount ?? 0;
  }

  async counts(): Promise<OutboxCounts> {
    const { rows } = await this.#db.query<OutboxCounts>(
      `SELECT (SELECT count(*) FROM events)::integer AS events,
              (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending'))::integer AS pending,
              (SELECT count(*) FROM deliveries WHERE status = 'failed')::integer AS failed`,
    );
    return rows[0]!;
  }

  async close(): Promise<void> {
    await this.#db.release();
  }
}
