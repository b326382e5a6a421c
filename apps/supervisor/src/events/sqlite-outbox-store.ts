/**
 * OutboxStore on SQLite (`<DATA_DIR>/outbox.db`, WAL). A separate file from the registry so that bursts of
 * events do not contend with session writes for SQLite's single writer lock.
 */
import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { openDatabase, statementCache, type Synchronous } from '../store/sqlite.js';
import type { Envelope } from './envelope.js';
import type {
  DeliveryFilter,
  DeliveryView,
  DueDelivery,
  NewEvent,
  OutboxCounts,
  OutboxStore,
  StoredEvent,
} from './outbox-store.js';

const MIGRATIONS = [
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

export class SqliteOutboxStore implements OutboxStore {
  readonly #db: Database.Database;
  readonly #statement: (sql: string) => Database.Statement;

  constructor(dataDir: string, synchronous: Synchronous = 'NORMAL') {
    this.#db = openDatabase(join(dataDir, 'outbox.db'), synchronous, MIGRATIONS);
    this.#statement = statementCache(this.#db);
  }

  async append(events: ReadonlyArray<NewEvent>): Promise<number[]> {
    return this.#db.transaction(() =>
      events.map(({ envelope, body, targets }) => {
        const created = Date.parse(envelope.timestamp);
        const seq = Number(
          this.#statement('INSERT INTO events (id, session_id, type, created_ms, envelope) VALUES (?, ?, ?, ?, ?)').run(
            envelope.id,
            envelope.sessionId,
            envelope.type,
            created,
            body,
          ).lastInsertRowid,
        );
        const insertDelivery = this.#statement(
          'INSERT INTO deliveries (event_seq, target, status, next_attempt_ms) VALUES (?, ?, ?, ?)',
        );
        for (const { url, claimed } of targets) insertDelivery.run(seq, url, claimed ? 'sending' : 'pending', created);
        return seq;
      }),
    )();
  }

  async eventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const rows = this.#statement('SELECT seq, envelope FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(afterSeq, limit) as Array<{ seq: number; envelope: string }>;
    return rows.map((row) => ({ seq: row.seq, envelope: JSON.parse(row.envelope) as Envelope }));
  }

  async resumeAfter(eventId: string): Promise<number> {
    // Ids are ULIDs: they sort like the events, so a pruned id still marks a place in the stream.
    const row = this.#statement(
      'SELECT coalesce((SELECT seq FROM events WHERE id = ?), (SELECT max(seq) FROM events WHERE id < ?), 0) AS seq',
    ).get(eventId, eventId) as { seq: number };
    return row.seq;
  }

  async lastSeq(): Promise<number> {
    // The sequence survives pruning: sqlite_sequence keeps the highest seq ever handed out.
    const row = this.#statement("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  async dueTargets(nowMs: number): Promise<string[]> {
    const rows = this.#statement(
      "SELECT DISTINCT target FROM deliveries WHERE status = 'pending' AND next_attempt_ms <= ?",
    ).all(nowMs) as Array<{ target: string }>;
    return rows.map((row) => row.target);
  }

  async claimDue(nowMs: number, target: string, limit: number): Promise<DueDelivery[]> {
    if (limit <= 0) return [];
    return this.#db.transaction(() => {
      const rows = this.#statement(
        `SELECT d.event_seq, d.target, d.attempts, e.envelope, e.id, e.type FROM deliveries d
           JOIN events e ON e.seq = d.event_seq
          WHERE d.status = 'pending' AND d.target = ? AND d.next_attempt_ms <= ?
          ORDER BY d.next_attempt_ms, d.event_seq LIMIT ?`,
      ).all(target, nowMs, limit) as Array<{
        event_seq: number;
        target: string;
        attempts: number;
        envelope: string;
        id: string;
        type: string;
      }>;
      const claim = this.#statement("UPDATE deliveries SET status = 'sending' WHERE event_seq = ? AND target = ?");
      for (const row of rows) claim.run(row.event_seq, row.target);
      return rows.map((row) => ({
        eventSeq: row.event_seq,
        target: row.target,
        attempts: row.attempts,
        body: row.envelope,
        eventId: row.id,
        eventType: row.type,
      }));
    })();
  }

  async markDelivered(deliveries: ReadonlyArray<{ eventSeq: number; target: string; statusCode: number }>, nowMs: number): Promise<void> {
    const update = this.#statement(
      "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, delivered_ms = ? WHERE event_seq = ? AND target = ?",
    );
    this.#db.transaction(() => {
      for (const { eventSeq, target, statusCode } of deliveries) update.run(statusCode, nowMs, eventSeq, target);
    })();
  }

  async markRetry(eventSeq: number, target: string, attempts: number, nextAttemptMs: number, error: string, statusCode: number | null): Promise<void> {
    this.#statement(
        "UPDATE deliveries SET status = 'pending', attempts = ?, next_attempt_ms = ?, last_error = ?, last_status = ? WHERE event_seq = ? AND target = ?",
      )
      .run(attempts, nextAttemptMs, error, statusCode, eventSeq, target);
  }

  async markFailed(eventSeq: number, target: string, attempts: number, error: string, statusCode: number | null): Promise<void> {
    this.#statement(
        "UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ?, last_status = ? WHERE event_seq = ? AND target = ?",
      )
      .run(attempts, error, statusCode, eventSeq, target);
  }

  async releaseClaims(): Promise<number> {
    return this.#statement("UPDATE deliveries SET status = 'pending' WHERE status = 'sending'").run().changes;
  }

  async nextDueMs(skipTargets: readonly string[]): Promise<number | undefined> {
    const skip = skipTargets.length > 0 ? `AND target NOT IN (${skipTargets.map(() => '?').join(', ')})` : '';
    const row = this.#statement(`SELECT min(next_attempt_ms) AS due FROM deliveries WHERE status = 'pending' ${skip}`)
      .get(...skipTargets) as { due: number | null };
    return row.due ?? undefined;
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
    if (this.#db.open) this.#db.close();
  }
}
