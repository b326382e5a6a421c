/**
 * SessionLogStore on the cluster's PostgreSQL database (table session_logs): a session's records stay readable
 * on every node, and after the session moved to another one.
 *
 * Logging never waits for the database. append() puts the record in a bounded queue (bounded-queue.ts); a
 * writer sends the queue in batches, one INSERT of many rows (unnest of three arrays) per batch: at once when a
 * batch is full, else `flushEveryMs` after the first record came. One write at a time, so this node's rows keep
 * the order it logged them in. While the database is away, writing is retried with a growing delay and the queue
 * keeps the newest `maxPending` records, dropping and counting the oldest; a batch the database refuses for
 * what it holds (a data error) is dropped and counted rather than retried for ever.
 *
 * recent() writes this node's queue first, so a record logged just before a read is in it; what another node
 * logged in its last `flushEveryMs` may not be yet. Records are ordered by their time, then by their row: a
 * node handing a session over may write its last records after the next node wrote its first ones.
 *
 * Retention: every `pruneEveryMs`, one statement cuts each session this node wrote records of back to its last
 * `perSession` (the first prune after start covers every session, for what a dead node left behind). A deleted
 * session's rows go with forget(); any written after it (a record logged late, here or on another node) go at
 * the next prune of the node that wrote them, which deletes the rows of sessions that no longer exist.
 */
import type { Logger } from 'pino';
import type { PostgresDatabase } from '../store/postgres.js';
import { BoundedQueue } from './bounded-queue.js';
import type { LogRecord, SessionLogEntry } from './log-record.js';
import type { SessionLogStore } from './session-log-store.js';

export interface PgSessionLogOptions {
  /** Recorded with each row, and shown as the record's `node`. */
  nodeId: string;
  /** SESSION_LOG_RECORDS: records kept per session. */
  perSession: number;
  log: Logger;
  /** How long a record may wait for a batch to fill. */
  flushEveryMs?: number;
  /** Records per INSERT; a full batch is written at once. */
  batchRecords?: number;
  /** Records held while the database is slow or away; beyond it, the oldest are dropped. */
  maxPending?: number;
  /** How often the sessions this node wrote to are cut back to their last `perSession` records; 0: never by itself. */
  pruneEveryMs?: number;
}

export const SESSION_LOG_DEFAULTS = { flushEveryMs: 200, batchRecords: 500, maxPending: 10_000, pruneEveryMs: 60_000 } as const;

/** The longest wait between two attempts while the database is away. */
const MAX_RETRY_DELAY_MS = 5_000;
/** Drops and refusals are logged at most this often. */
const REPORT_EVERY_MS = 60_000;

const INSERT = `
  INSERT INTO session_logs (session_id, node_id, logged_ms, record)
  SELECT session_id, $1, logged_ms, record
  FROM unnest($2::text[], $3::bigint[], $4::jsonb[]) WITH ORDINALITY AS batch (session_id, logged_ms, record, position)
  ORDER BY position`;

const RECENT = `
  SELECT node_id, record FROM (
    SELECT node_id, record, logged_ms, seq FROM session_logs
    WHERE session_id = $1 ORDER BY logged_ms DESC, seq DESC LIMIT $2
  ) newest
  ORDER BY logged_ms, seq`;

/** Rows beyond the newest `$2` of a session, and every row of a session deleted since (no row in sessions). */
const prune = (where: string): string => `
  WITH ranked AS (
    SELECT logs.seq, sessions.session_id IS NULL AS deleted,
           row_number() OVER (PARTITION BY logs.session_id ORDER BY logs.logged_ms DESC, logs.seq DESC) AS newer
    FROM session_logs logs LEFT JOIN sessions ON sessions.session_id = logs.session_id
    ${where}
  )
  DELETE FROM session_logs USING ranked
  WHERE session_logs.seq = ranked.seq AND (ranked.deleted OR ranked.newer > $1)`;
const PRUNE_SOME = prune('WHERE logs.session_id = ANY($2::text[])');
const PRUNE_ALL = prune('');

/**
 * The record as jsonb takes it: JSON.stringify writes a NUL character or a lone surrogate (which jsonb refuses) as
 * a \u escape; each becomes U+FFFD. Only escapes after an even number of backslashes are escapes.
 */
function jsonbText(record: LogRecord): string {
  const json = JSON.stringify(record);
  if (!json.includes('\\u')) return json;
  return json.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g, '$1\\ufffd');
}

/** An error the same batch would meet again (SQLSTATE classes 22, data exception, and 23, integrity). */
function refusesBatch(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export class PgSessionLogStore implements SessionLogStore {
  readonly #db: PostgresDatabase;
  readonly #nodeId: string;
  readonly #perSession: number;
  readonly #log: Logger;
  readonly #flushEveryMs: number;
  readonly #batchRecords: number;
  readonly #queue: BoundedQueue<SessionLogEntry>;
  /** The one write in flight. */
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerDueAt = 0;
  /** Failed writes in a row: while above 0, only the retry timer writes. */
  #failures = 0;
  /** Sessions this node wrote records of since its last prune. */
  #written = new Set<string>();
  #prunedAll = false;
  #pruning: Promise<number> | undefined;
  readonly #pruner: NodeJS.Timeout | undefined;
  #refused = 0;
  #reportedLosses = 0;
  #lossesReportedAt = 0;
  #refusalReportedAt = 0;
  #closed = false;

  /** The database is opened (and migrated) by its owner; this store is one of its users until close(). */
  constructor(database: PostgresDatabase, options: PgSessionLogOptions) {
    this.#db = database.acquire();
    this.#nodeId = options.nodeId;
    this.#perSession = options.perSession;
    this.#log = options.log;
    this.#flushEveryMs = options.flushEveryMs ?? SESSION_LOG_DEFAULTS.flushEveryMs;
    this.#batchRecords = options.batchRecords ?? SESSION_LOG_DEFAULTS.batchRecords;
    this.#queue = new BoundedQueue(options.maxPending ?? SESSION_LOG_DEFAULTS.maxPending);
    const pruneEveryMs = options.pruneEveryMs ?? SESSION_LOG_DEFAULTS.pruneEveryMs;
    if (pruneEveryMs > 0) {
      this.#pruner = setInterval(() => {
        this.prune().catch((error: unknown) => this.#log.warn({ err: error }, 'could not prune old session log records'));
      }, pruneEveryMs);
      this.#pruner.unref();
    }
  }

  /** Records lost since start: dropped from a full queue, or refused by the database. */
  get lost(): number {
    return this.#queue.dropped + this.#refused;
  }

  /** Records waiting to be written. */
  get pending(): number {
    return this.#queue.size;
  }

  append(entry: SessionLogEntry): void {
    if (this.#closed) return;
    this.#queue.push(entry);
    if (this.#failures > 0) return;
    this.#arm(this.#queue.size >= this.#batchRecords ? 0 : this.#flushEveryMs);
  }

  async recent(sessionId: string, limit: number): Promise<LogRecord[]> {
    await this.flush();
    const { rows } = await this.#db.query<{ node_id: string; record: LogRecord }>(RECENT, [sessionId, Math.min(limit, this.#perSession)]);
    // The node that logged it, unless the record was logged with a `node` of its own.
    return rows.map(({ node_id: node, record }) => (record.node === undefined ? { ...record, node } : record));
  }

  async forget(sessionId: string): Promise<void> {
    // What this node still holds of the session is written first, to go with the rest.
    try {
      await this.flush();
      await this.#db.query('DELETE FROM session_logs WHERE session_id = $1', [sessionId]);
    } catch (error) {
      // Not under `sessionId`: this record is not the deleted session's.
      this.#log.warn({ err: error, deleted: sessionId }, "could not delete a deleted session's log records; the next prune will");
    }
    // The next prune looks at it, for records that come after the delete.
    this.#written.add(sessionId);
  }

  /** Writes every record appended before the call; rejects if the database cannot be written. */
  async flush(): Promise<void> {
    const target = this.#queue.tail;
    while (this.#queue.head < target) await this.#write();
  }

  prune(): Promise<number> {
    this.#pruning ??= this.#prune().finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#pruner);
    await this.#pruning?.catch(() => undefined);
    try {
      await this.flush();
    } catch (error) {
      this.#log.warn({ err: error, records: this.#queue.size }, 'session log records not written at shutdown');
    }
    this.#reportLosses(true);
    await this.#db.release();
  }

  async #prune(): Promise<number> {
    const sessions = [...this.#written];
    this.#written.clear();
    const all = !this.#prunedAll;
    if (!all && sessions.length === 0) return 0;
    try {
      const { rowCount } = all
        ? await this.#db.query(PRUNE_ALL, [this.#perSession])
        : await this.#db.query(PRUNE_SOME, [this.#perSession, sessions]);
      this.#prunedAll = true;
      return rowCount ?? 0;
    } catch (error) {
      for (const sessionId of sessions) this.#written.add(sessionId);
      throw error;
    }
  }

  /** A write `delayMs` from now, unless one is due sooner. */
  #arm(delayMs: number): void {
    if (this.#closed) return;
    const dueAt = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#timerDueAt <= dueAt) return;
    clearTimeout(this.#timer);
    this.#timerDueAt = dueAt;
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    try {
      // Full batches back to back; a partial one waits for more.
      do await this.#write();
      while (this.#queue.size >= this.#batchRecords);
    } catch {
      // #write armed the retry.
      return;
    }
    if (this.#queue.size > 0) this.#arm(this.#flushEveryMs);
    this.#reportLosses(false);
  }

  /** Writes the oldest batch, or waits for the write in flight: one at a time. */
  #write(): Promise<void> {
    this.#writing ??= this.#writeBatch().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #writeBatch(): Promise<void> {
    const { from, items } = this.#queue.peek(this.#batchRecords);
    if (items.length === 0) return;
    try {
      await this.#db.query(INSERT, [
        this.#nodeId,
        items.map((entry) => entry.sessionId),
        items.map((entry) => entry.timeMs),
        items.map((entry) => jsonbText(entry.record)),
      ]);
    } catch (error) {
      if (refusesBatch(error)) {
        this.#refused += items.length;
        this.#queue.release(from + items.length);
        if (Date.now() - this.#refusalReportedAt >= REPORT_EVERY_MS) {
          this.#refusalReportedAt = Date.now();
          this.#log.error({ err: error, records: items.length }, 'session log records refused by the database; dropped');
        }
        return;
      }
      this.#failures++;
      if (this.#failures === 1) {
        this.#log.warn({ err: error, pending: this.#queue.size }, `could not write session log records; keeping the newest ${this.#queue.capacity} meanwhile`);
      }
      this.#arm(Math.min(this.#flushEveryMs * 2 ** (this.#failures - 1), MAX_RETRY_DELAY_MS));
      throw error;
    }
    // Whatever was dropped while the batch was in flight is no longer held: release() leaves it be.
    this.#queue.release(from + items.length);
    for (const entry of items) this.#written.add(entry.sessionId);
    if (this.#failures > 0) {
      this.#failures = 0;
      this.#log.info({ lost: this.lost - this.#reportedLosses }, 'session log records written again');
      this.#reportedLosses = this.lost;
    }
  }

  /** Records lost since the last report, logged at most every REPORT_EVERY_MS while writing works (at shutdown, whatever). */
  #reportLosses(atShutdown: boolean): void {
    const lost = this.lost - this.#reportedLosses;
    if (lost === 0) return;
    if (!atShutdown && (this.#failures > 0 || Date.now() - this.#lossesReportedAt < REPORT_EVERY_MS)) return;
    this.#reportedLosses = this.lost;
    this.#lossesReportedAt = Date.now();
    this.#log.warn({ lost }, 'session log records lost: the database was away or slow, or refused them');
  }
}
