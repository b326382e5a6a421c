/**
 * SessionStore on the embedded SQLite database (`<DATA_DIR>/wsm.db`, WAL). With `synchronous = NORMAL`
 * (the default) a committed write survives a kill -9 of the supervisor, and a commit costs no fsync, which
 * would stall the event loop for milliseconds at every status change; `FULL` also survives a power cut.
 */
import type Database from 'better-sqlite3';
import { appendEvents, MIGRATIONS as OUTBOX_MIGRATIONS } from '../events/sqlite-outbox-store.js';
import type { SessionPatch, SessionRecord } from '../session/session-record.js';
import { COLUMNS, JSON_FIELDS, toJson, toRecord as rowToRecord, type SessionRow } from './session-row.js';
import { migrate, statementCache, type SqliteDatabase } from './sqlite.js';
import type { InsertResult, SessionStore, UpdateOptions, UpdateResult } from './session-store.js';

/** A row as better-sqlite3 returns it: JSON fields as text. */
type Row = SessionRow<true>;

/** Schema versions, applied in order; `PRAGMA user_version` records the last one applied. */
/** This part's migrations, in order (also applied to a file of an earlier version before it is imported). */
export const MIGRATIONS = [
  `CREATE TABLE sessions (
     session_id    TEXT PRIMARY KEY,
     engine        TEXT NOT NULL,
     desired_state TEXT NOT NULL,
     status        TEXT NOT NULL,
     restarts      INTEGER NOT NULL DEFAULT 0,
     metadata      TEXT NOT NULL DEFAULT '{}',
     webhooks      TEXT NOT NULL DEFAULT '[]',
     last_error    TEXT,
     me            TEXT,
     created_at    TEXT NOT NULL,
     updated_at    TEXT NOT NULL,
     started_at    TEXT,
     ready_at      TEXT
   ) STRICT`,
  `ALTER TABLE sessions ADD COLUMN proxy TEXT`,
  // Rows written before versions existed start at 1.
  `ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 1`,
];

const toRecord = (row: Row): SessionRecord => rowToRecord(row, true);

const toColumnValue = (field: keyof SessionPatch, value: unknown): unknown => (JSON_FIELDS.has(field) ? toJson(value) : value);

export class SqliteSessionStore implements SessionStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #get: Database.Statement<[string], Row>;
  readonly #list: Database.Statement<[], Row>;
  readonly #delete: Database.Statement<[string]>;
  readonly #deleteAt: Database.Statement<[string, number]>;
  readonly #statement: (sql: string) => Database.Statement;

  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    this.#db = database.acquire();
    migrate(this.#db, 'sessions', MIGRATIONS);
    // A session's change commits with the events it causes: the outbox's tables are this store's too.
    migrate(this.#db, 'outbox', OUTBOX_MIGRATIONS);
    this.#statement = statementCache(this.#db);
    this.#insert = this.#db.prepare(
      `INSERT INTO sessions (session_id, engine, desired_state, status, restarts, metadata, webhooks, last_error, me,
                             created_at, updated_at, started_at, ready_at, proxy, version)
       VALUES (@session_id, @engine, @desired_state, @status, @restarts, @metadata, @webhooks, @last_error, @me,
               @created_at, @updated_at, @started_at, @ready_at, @proxy, @version)
       ON CONFLICT (session_id) DO NOTHING`,
    );
    this.#get = this.#db.prepare('SELECT * FROM sessions WHERE session_id = ?');
    this.#list = this.#db.prepare('SELECT * FROM sessions ORDER BY created_at, session_id');
    this.#delete = this.#db.prepare('DELETE FROM sessions WHERE session_id = ?');
    this.#deleteAt = this.#db.prepare('DELETE FROM sessions WHERE session_id = ? AND version = ?');
  }

  async list(): Promise<SessionRecord[]> {
    return this.#list.all().map(toRecord);
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const row = this.#get.get(sessionId);
    return row === undefined ? undefined : toRecord(row);
  }

  async insert(record: SessionRecord): Promise<InsertResult> {
    const { changes } = this.#insert.run({
      session_id: record.sessionId,
      engine: record.engine,
      desired_state: record.desiredState,
      status: record.status,
      restarts: record.restarts,
      metadata: JSON.stringify(record.metadata),
      webhooks: JSON.stringify(record.webhooks),
      last_error: record.lastError === null ? null : JSON.stringify(record.lastError),
      me: record.me === null ? null : JSON.stringify(record.me),
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      started_at: record.startedAt,
      ready_at: record.readyAt,
      proxy: record.proxy,
      version: record.version,
    });
    return changes === 1 ? { ok: true } : { ok: false, reason: 'exists' };
  }

  async update(
    sessionId: string,
    expectedVersion: number,
    patch: SessionPatch,
    // One node, no leases: a fence has nothing to be checked against and is ignored.
    { events: caused }: UpdateOptions = {},
  ): Promise<UpdateResult> {
    const fields = (Object.keys(patch) as (keyof SessionPatch)[]).filter((field) => patch[field] !== undefined);
    const assignments = [...fields.map((field) => `${COLUMNS[field]} = @${COLUMNS[field]}`), 'version = version + 1'].join(', ');
    const values = Object.fromEntries(fields.map((field) => [COLUMNS[field], toColumnValue(field, patch[field])]));
    const update = this.#statement(
      `UPDATE sessions SET ${assignments} WHERE session_id = @session_id AND version = @expected_version RETURNING *`,
    );
    // The change and the events it causes: one transaction, so both are durable or neither is.
    const result = this.#db.transaction((): UpdateResult | undefined => {
      const row = update.get({ ...values, session_id: sessionId, expected_version: expectedVersion }) as Row | undefined;
      if (row === undefined) return undefined;
      const appended = caused === undefined || caused.events.length === 0 ? [] : appendEvents(this.#statement, caused.events, caused.claim);
      return { ok: true, record: toRecord(row), appended };
    })();
    if (result !== undefined) return result;
    return { ok: false, reason: this.#get.get(sessionId) === undefined ? 'missing' : 'conflict' };
  }

  async delete(sessionId: string, expectedVersion?: number): Promise<boolean> {
    const { changes } =
      expectedVersion === undefined ? this.#delete.run(sessionId) : this.#deleteAt.run(sessionId, expectedVersion);
    return changes === 1;
  }

  async close(): Promise<void> {
    this.#database.release();
  }
}
