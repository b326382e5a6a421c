/** IdempotencyStore on the embedded SQLite database (`<DATA_DIR>/wsm.db`). */
import type Database from 'better-sqlite3';
import type { SentMessage } from '@wsm/ipc-protocol';
import { migrate, statementCache, type SqliteDatabase } from '../store/sqlite.js';
import { appendEvents, MIGRATIONS as OUTBOX_MIGRATIONS } from '../events/sqlite-outbox-store.js';
import type { AppendedEvent, CausedEvents } from '../events/outbox-store.js';
import type { IdempotencyStore, IdempotentSend } from './idempotency-store.js';

/** This part's migrations, in order (also applied to a file of an earlier version before it is imported). */
export const MIGRATIONS = [
  `CREATE TABLE idempotent_sends (
     session_id      TEXT NOT NULL,
     idempotency_key TEXT NOT NULL,
     request_hash    TEXT NOT NULL,
     state           TEXT NOT NULL,
     result          TEXT,
     created_ms      INTEGER NOT NULL,
     PRIMARY KEY (session_id, idempotency_key)
   ) STRICT;
   CREATE INDEX idempotent_sends_created ON idempotent_sends (created_ms);`,
];

export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #db: Database.Database;
  readonly #statement: (sql: string) => Database.Statement;

  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    this.#db = database.acquire();
    migrate(this.#db, 'messages', MIGRATIONS);
    // A send's result commits with its `message.sent`: the outbox's tables are this store's too.
    migrate(this.#db, 'outbox', OUTBOX_MIGRATIONS);
    this.#statement = statementCache(this.#db);
  }

  async get(sessionId: string, key: string): Promise<IdempotentSend | undefined> {
    const row = this.#statement(
      'SELECT request_hash, state, result FROM idempotent_sends WHERE session_id = ? AND idempotency_key = ?',
    ).get(sessionId, key) as { request_hash: string; state: string; result: string | null } | undefined;
    if (row === undefined) return undefined;
    if (row.state === 'sent' && row.result !== null) {
      return { state: 'sent', requestHash: row.request_hash, result: JSON.parse(row.result) as SentMessage };
    }
    return { state: 'pending', requestHash: row.request_hash };
  }

  async begin(sessionId: string, key: string, requestHash: string): Promise<boolean> {
    const { changes } = this.#statement(
      `INSERT INTO idempotent_sends (session_id, idempotency_key, request_hash, state, created_ms)
       VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING`,
    ).run(sessionId, key, requestHash, Date.now());
    return changes === 1;
  }

  async complete(
    sessionId: string,
    key: string,
    result: SentMessage,
    caused?: CausedEvents,
  ): Promise<AppendedEvent[]> {
    // The outbox's tables are in this file too (sqlite.ts): the key's result and its event commit together.
    return this.#db.transaction((): AppendedEvent[] => {
      this.#statement(
        "UPDATE idempotent_sends SET state = 'sent', result = ? WHERE session_id = ? AND idempotency_key = ?",
      ).run(JSON.stringify(result), sessionId, key);
      return caused === undefined || caused.events.length === 0 ? [] : appendEvents(this.#statement, caused.events, caused.claim);
    })();
  }

  async abandon(sessionId: string, key: string): Promise<void> {
    this.#statement("DELETE FROM idempotent_sends WHERE session_id = ? AND idempotency_key = ? AND state = 'pending'").run(
      sessionId,
      key,
    );
  }

  async forgetSession(sessionId: string): Promise<void> {
    this.#statement('DELETE FROM idempotent_sends WHERE session_id = ?').run(sessionId);
  }

  async prune(beforeMs: number): Promise<number> {
    return this.#statement('DELETE FROM idempotent_sends WHERE created_ms < ?').run(beforeMs).changes;
  }

  async close(): Promise<void> {
    this.#database.release();
  }
}
