/**
 * OutboxStore on the embedded SQLite database (`<DATA_DIR>/wsm.db`, store/sqlite.ts), beside the registry, so a
 * session's change and its events commit in one transaction (`appendEvents`).
 *
 * Cursors are the events' rowids (AUTOINCREMENT, so never reused after pruning), zero-padded to 16 digits so that
 * they compare as strings: one writer at a time, so rowid order is commit order (see outbox-store.ts).
 */
import type Database from 'better-sqlite3';
import { migrate, statementCache, type SqliteDatabase } from '../store/sqlite.js';
import { ownerPrefix } from './claim-owner.js';
import type { Envelope } from './envelope.js';
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

/** This part's migrations, in order (also applied to a file of an earlier version before it is imported). */
export const MIGRATIONS = [
  `CREATE TABLE events (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     id         TEXT NOT NULL UNIQUE,
     session_id TEXT NOT NULL,
     type       TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     envelope   TEXT NOT NULL
   ) STRICT;
   CREATE INDEX events_created ON events (created_ms);
   CREATE TABLE deliveries (
     event_seq       INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
     target          TEXT NOT NULL,
     status          TEXT NOT NULL,
     attempts        INTEGER NOT NULL DEFAULT 0,
     next_attempt_ms INTEGER NOT NULL,
     last_error      TEXT,
     last_status     INTEGER,
     delivered_ms    INTEGER,
     PRIMARY KEY (event_seq, target)
   ) STRICT;
   CREATE INDEX deliveries_due ON deliveries (status, next_attempt_ms);
   CREATE INDEX deliveries_target_due ON deliveries (target, status, next_attempt_ms);`,
  // Claims name their holder and expire unless renewed, so several claimants can share the outbox. Rows left
  // `sending` before this had no holder: their supervisor is gone (it held the data-dir lock), so back to pending.
  // No index on the claim columns: only `sending` rows are searched by them (what claimants hold in memory).
  `ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
   ALTER TABLE deliveries ADD COLUMN claim_expires_ms INTEGER;
   UPDATE deliveries SET status = 'pending' WHERE status = 'sending';`,
];

interface DeliveryRow {
  event_seq: number;
  target: string;
  status: DeliveryView['status'];
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  last_status: number | null;
  delivered_ms: number | null;
  id: string;
  type: string;
  session_id: string;
  created_ms: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const CURSOR_DIGITS = 16;
const toCursor = (seq: number): Cursor => String(seq).padStart(CURSOR_DIGITS, '0') as Cursor;

function seqOf(cursor: Cursor): number {
  if (cursor === '') return 0;
  if (cursor.length !== CURSOR_DIGITS || !/^\d+$/.test(cursor)) throw new TypeError(`not a cursor of this outbox: ${JSON.stringify(cursor)}`);
  return Number(cursor);
}

interface ClaimRow {
  event_seq: number;
  target: string;
  attempts: number;
  envelope: string;
  id: string;
  type: string;
}

const CLAIMABLE = `SELECT d.event_seq, d.target, d.attempts, e.envelope, e.id, e.type FROM deliveries d
                     JOIN events e ON e.seq = d.event_seq WHERE d.target = @target`;
const CLAIM_EXPIRED = `${CLAIMABLE} AND d.status = 'sending' AND d.claim_expires_ms <= @now ORDER BY d.event_seq LIMIT @limit`;
const CLAIM_PENDING = `${CLAIMABLE} AND d.status = 'pending' AND d.next_attempt_ms <= @now
                       ORDER BY d.next_attempt_ms, d.event_seq LIMIT @limit`;

/** Due now: pending and its attempt time has come, or claimed and the claim has expired (taken over). */
const DUE = "((d.status = 'pending' AND d.next_attempt_ms <= @now) OR (d.status = 'sending' AND d.claim_expires_ms <= @now))";
/** A finish counts only while the claim is still this owner's. */
const HELD = "event_seq = @eventSeq AND target = @target AND status = 'sending' AND claimed_by = @owner";

/**
 * Inserts events and their deliveries, inside the caller's transaction: the outbox's own appends, and the
 * events a session change causes, committed with that change (store/sqlite-session-store.ts).
 */
export function appendEvents(
  statement: (sql: string) => Database.Statement,
  events: ReadonlyArray<NewEvent>,
  claim: Claim | undefined,
): AppendedEvent[] {
  const insertEvent = statement('INSERT INTO events (id, session_id, type, created_ms, envelope) VALUES (?, ?, ?, ?, ?)');
  const insertDelivery = statement(
    'INSERT INTO deliveries (event_seq, target, status, next_attempt_ms, claimed_by, claim_expires_ms) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return events.map(({ envelope, body, targets }) => {
    const created = Date.parse(envelope.timestamp);
    const seq = Number(insertEvent.run(envelope.id, envelope.sessionId, envelope.type, created, body).lastInsertRowid);
    for (const { url, claimed } of targets) {
      if (claimed && claim !== undefined) insertDelivery.run(seq, url, 'sending', created, claim.owner, claim.untilMs);
      else insertDelivery.run(seq, url, 'pending', created, null, null);
    }
    return { eventSeq: seq, cursor: toCursor(seq) };
  });
}

export class SqliteOutboxStore implements OutboxStore {
  readonly #db: Database.Database;
  readonly #statement: (sql: string) => Database.Statement;

  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    this.#db = database.acquire();
    migrate(this.#db, 'outbox', MIGRATIONS);
    this.#statement = statementCache(this.#db);
  }

  async append(events: ReadonlyArray<NewEvent>, claim: Claim): Promise<AppendedEvent[]> {
    return this.#db.transaction(() => appendEvents(this.#statement, events, claim))();
  }

  async eventsAfter(cursor: Cursor, limit: number): Promise<StoredEvent[]> {
    const rows = this.#statement('SELECT seq, envelope FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(seqOf(cursor), limit) as Array<{ seq: number; envelope: string }>;
    return rows.map((row) => ({ cursor: toCursor(row.seq), envelope: JSON.parse(row.envelope) as Envelope }));
  }

  async cursorOf(eventId: string): Promise<Cursor> {
    // Ids are ULIDs: they sort like the events, so a pruned id still marks a place in the stream.
    const row = this.#statement(
      'SELECT coalesce((SELECT seq FROM events WHERE id = ?), (SELECT max(seq) FROM events WHERE id < ?), 0) AS seq',
    ).get(eventId, eventId) as { seq: number };
    return toCursor(row.seq);
  }

  async headCursor(): Promise<Cursor> {
    // The sequence survives pruning: sqlite_sequence keeps the highest seq ever handed out.
    const row = this.#statement("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    return toCursor(row?.seq ?? 0);
  }

  async dueTargets(nowMs: number): Promise<string[]> {
    const rows = this.#statement(`SELECT DISTINCT target FROM deliveries d WHERE ${DUE}`).all({ now: nowMs }) as Array<{ target: string }>;
    return rows.map((row) => row.target);
  }

  async claimDue(claim: Claim, nowMs: number, target: string, limit: number): Promise<DueDelivery[]> {
    if (limit <= 0) return [];
    // IMMEDIATE: the write lock before the read, so another connection cannot claim the same rows in between.
    // (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so claimants pass each other instead of waiting.)
    return this.#db.transaction(() => {
      // Two searches, each along deliveries_target_due (one OR over both statuses would scan the target's every
      // row, delivered ones included): expired claims first, they were due before anything pending now.
      const expired = this.#statement(CLAIM_EXPIRED).all({ target, now: nowMs, limit }) as ClaimRow[];
      const pending =
        expired.length < limit
          ? (this.#statement(CLAIM_PENDING).all({ target, now: nowMs, limit: limit - expired.length }) as ClaimRow[])
          : [];
      const rows = [...expired, ...pending];
      const take = this.#statement(
        "UPDATE deliveries SET status = 'sending', claimed_by = ?, claim_expires_ms = ? WHERE event_seq = ? AND target = ?",
      );
      for (const row of rows) take.run(claim.owner, claim.untilMs, row.event_seq, row.target);
      return rows.map((row) => ({
        eventSeq: row.event_seq,
        target: row.target,
        attempts: row.attempts,
        body: row.envelope,
        eventId: row.id,
        eventType: row.type,
      }));
    }).immediate();
  }

  async renewClaims(owner: string, untilMs: number): Promise<number> {
    return this.#statement("UPDATE deliveries SET claim_expires_ms = ? WHERE status = 'sending' AND claimed_by = ?").run(untilMs, owner)
      .changes;
  }

  async markDelivered(owner: string, deliveries: ReadonlyArray<DeliveryKey & { statusCode: number }>, nowMs: number): Promise<number> {
    // Positional parameters: on the hot path, binding by name costs measurably more.
    const update = this.#statement(
      `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, delivered_ms = ?,
              claimed_by = NULL, claim_expires_ms = NULL WHERE event_seq = ? AND target = ? AND status = 'sending' AND claimed_by = ?`,
    );
    return this.#db.transaction(() => {
      let recorded = 0;
      for (const { eventSeq, target, statusCode } of deliveries) recorded += update.run(statusCode, nowMs, eventSeq, target, owner).changes;
      return recorded;
    })();
  }

  async markRetry(owner: string, { eventSeq, target }: DeliveryKey, outcome: RetryOutcome): Promise<boolean> {
    const { attempts, nextAttemptMs, error, statusCode } = outcome;
    return (
      this.#statement(
        `UPDATE deliveries SET status = 'pending', attempts = @attempts, next_attempt_ms = @nextAttemptMs, last_error = @error,
                last_status = @statusCode, claimed_by = NULL, claim_expires_ms = NULL WHERE ${HELD}`,
      ).run({ attempts, nextAttemptMs, error, statusCode, eventSeq, target, owner }).changes > 0
    );
  }

  async markFailed(owner: string, { eventSeq, target }: DeliveryKey, outcome: FailOutcome): Promise<boolean> {
    const { attempts, error, statusCode } = outcome;
    return (
      this.#statement(
        `UPDATE deliveries SET status = 'failed', attempts = @attempts, last_error = @error, last_status = @statusCode,
                claimed_by = NULL, claim_expires_ms = NULL WHERE ${HELD}`,
      ).run({ attempts, error, statusCode, eventSeq, target, owner }).changes > 0
    );
  }

  async releaseClaims(node: string): Promise<number> {
    const prefix = ownerPrefix(node);
    return this.#statement(
      "UPDATE deliveries SET status = 'pending', claimed_by = NULL, claim_expires_ms = NULL WHERE status = 'sending' AND substr(claimed_by, 1, ?) = ?",
    ).run(prefix.length, prefix).changes;
  }

  async nextDueMs(skipTargets: readonly string[], owner: string): Promise<number | undefined> {
    const skip = skipTargets.length > 0 ? `AND target NOT IN (${skipTargets.map(() => '?').join(', ')})` : '';
    // Two subqueries, not one over both statuses: the pending one stays a lookup in deliveries_due.
    const row = this.#statement(
      `SELECT (SELECT min(next_attempt_ms) FROM deliveries WHERE status = 'pending' ${skip}) AS due,
              (SELECT min(claim_expires_ms) FROM deliveries WHERE status = 'sending' AND claimed_by <> ? ${skip}) AS expires`,
    ).get(...skipTargets, owner, ...skipTargets) as { due: number | null; expires: number | null };
    const times = [row.due, row.expires].filter((ms): ms is number => ms !== null);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      where.push('d.status = ?');
      params.push(filter.status);
    }
    if (filter.sessionId !== undefined) {
      where.push('e.session_id = ?');
      params.push(filter.sessionId);
    }
    const rows = this.#statement(
        `SELECT d.*, e.id, e.type, e.session_id, e.created_ms FROM deliveries d JOIN events e ON e.seq = d.event_seq
          ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.event_seq DESC LIMIT ?`,
      )
      .all(...params, filter.limit) as DeliveryRow[];
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
      createdAt: new Date(row.created_ms).toISOString(),
    }));
  }

  async redeliver(eventId: string | undefined, nowMs: number): Promise<number> {
    const byEvent = eventId === undefined ? '' : 'AND event_seq = (SELECT seq FROM events WHERE id = ?)';
    return this.#statement(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_ms = ? WHERE status = 'failed' ${byEvent}`)
      .run(nowMs, ...(eventId === undefined ? [] : [eventId])).changes;
  }

  async discardFailed(eventId: string | undefined): Promise<number> {
    const byEvent = eventId === undefined ? '' : 'AND event_seq = (SELECT seq FROM events WHERE id = ?)';
    return this.#statement(`DELETE FROM deliveries WHERE status = 'failed' ${byEvent}`).run(
      ...(eventId === undefined ? [] : [eventId]),
    ).changes;
  }

  async prune(beforeMs: number): Promise<number> {
    return this.#statement(
      `DELETE FROM events WHERE created_ms < ?
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = events.seq AND d.status <> 'delivered')`,
    ).run(beforeMs).changes;
  }

  async counts(): Promise<OutboxCounts> {
    const row = this.#statement(
        `SELECT (SELECT count(*) FROM events) AS events,
                (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')) AS pending,
                (SELECT count(*) FROM deliveries WHERE status = 'failed') AS failed`,
      )
      .get() as OutboxCounts;
    return row;
  }

  async close(): Promise<void> {
    this.#database.release();
  }
}
