/** IdempotencyStore on the cluster's PostgreSQL database (store/postgres.ts): the same behaviour as SQLite's. */
import type { SentMessage } from '@wsm/ipc-protocol';
import type { AppendedEvent, CausedEvents } from '../events/outbox-store.js';
import { appendPgEvents } from '../events/pg-events.js';
import type { PostgresDatabase } from '../store/postgres.js';
import type { IdempotencyStore, IdempotentSend } from './idempotency-store.js';

interface SendRow {
  request_hash: string;
  state: string;
  /** jsonb: parsed by pg. */
  result: SentMessage | null;
}

export class PgIdempotencyStore implements IdempotencyStore {
  readonly #db: PostgresDatabase;

  /** The database is opened (and migrated) by its owner; this store is one of its users until close(). */
  constructor(database: PostgresDatabase) {
    this.#db = database.acquire();
  }

  async get(sessionId: string, key: string): Promise<IdempotentSend | undefined> {
    const { rows } = await this.#db.query<SendRow>(
      'SELECT request_hash, state, result FROM idempotent_sends WHERE session_id = $1 AND idempotency_key = $2',
      [sessionId, key],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.state === 'sent' && row.result !== null) return { state: 'sent', requestHash: row.request_hash, result: row.result };
    return { state: 'pending', requestHash: row.request_hash };
  }

  async begin(sessionId: string, key: string, requestHash: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `INSERT INTO idempotent_sends (session_id, idempotency_key, request_hash, state, created_ms)
       VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT DO NOTHING`,
      [sessionId, key, requestHash, Date.now()],
    );
    return rowCount === 1;
  }

  async complete(
    sessionId: string,
    key: string,
    result: SentMessage,
    caused?: CausedEvents,
  ): Promise<AppendedEvent[]> {
    // The key's result and its event commit together: a key is never `sent` without its event.
    return this.#db.transaction(async (client) => {
      await client.query(
        "UPDATE idempotent_sends SET state = 'sent', result = $3::jsonb WHERE session_id = $1 AND idempotency_key = $2",
        [sessionId, key, JSON.stringify(result)],
      );
      return caused === undefined ? [] : appendPgEvents(client, caused.events, caused.claim);
    });
  }

  async abandon(sessionId: string, key: string): Promise<void> {
    await this.#db.query("DELETE FROM idempotent_sends WHERE session_id = $1 AND idempotency_key = $2 AND state = 'pending'", [
      sessionId,
      key,
    ]);
  }

  async forgetSession(sessionId: string): Promise<void> {
    await this.#db.query('DELETE FROM idempotent_sends WHERE session_id = $1', [sessionId]);
  }

  async prune(beforeMs: number): Promise<number> {
    const { rowCount } = await this.#db.query('DELETE FROM idempotent_sends WHERE created_ms < $1', [beforeMs]);
    return rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.#db.release();
  }
}
