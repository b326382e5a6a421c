/**
 * The stores of one supervisor: the embedded SQLite file in DATA_DIR, or, in cluster mode, the PostgreSQL
 * database every node shares. The rest of the supervisor sees only the ports (session, outbox, idempotency).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { OutboxStore } from '../events/outbox-store.js';
import { PgOutboxStore } from '../events/pg-outbox-store.js';
import { SqliteOutboxStore } from '../events/sqlite-outbox-store.js';
import type { IdempotencyStore } from '../messages/idempotency-store.js';
import { PgIdempotencyStore } from '../messages/pg-idempotency-store.js';
import { SqliteIdempotencyStore } from '../messages/sqlite-idempotency-store.js';
import { importLegacyFiles } from './legacy-files.js';
import { PgSessionStore } from './pg-session-store.js';
import { PostgresDatabase } from './postgres.js';
import type { SessionStore } from './session-store.js';
import { DATABASE_FILE, SqliteDatabase } from './sqlite.js';
import { SqliteSessionStore } from './sqlite-session-store.js';

export interface Storage {
  sessions: SessionStore;
  outbox: OutboxStore;
  idempotency: IdempotencyStore;
  /** Cluster mode's database, for what only a cluster has (leases, nodes, auth state). */
  postgres: PostgresDatabase | undefined;
  close(): Promise<void>;
}

export interface StorageOverrides {
  store?: SessionStore;
  outbox?: OutboxStore;
}

export async function openStorage(config: Config, log: Logger, overrides: StorageOverrides = {}): Promise<Storage> {
  if (config.cluster !== undefined) {
    const postgres = await PostgresDatabase.open({
      connectionString: config.cluster.databaseUrl,
      applicationName: `wsm:${config.cluster.nodeId}`,
      max: 20,
    });
    // Held for the cluster's own stores until close(), so that closing these three leaves the pool open for them.
    postgres.acquire();
    const sessions = overrides.store ?? new PgSessionStore(postgres);
    const outbox = overrides.outbox ?? new PgOutboxStore(postgres);
    const idempotency = new PgIdempotencyStore(postgres);
    return {
      sessions,
      outbox,
      idempotency,
      postgres,
      async close() {
        await outbox.close();
        await idempotency.close();
        await sessions.close();
        await postgres.release();
      },
    };
  }
  const database = SqliteDatabase.open(config.dataDir, config.sqliteSynchronous);
  const sessions = overrides.store ?? new SqliteSessionStore(database);
  const outbox = overrides.outbox ?? new SqliteOutboxStore(database);
  const idempotency = new SqliteIdempotencyStore(database);
  const imported = importLegacyFiles(database.db, config.dataDir);
  if (imported.length > 0) log.info({ files: imported }, `imported the data of an earlier version into ${DATABASE_FILE}`);
  return {
    sessions,
    outbox,
    idempotency,
    postgres: undefined,
    async close() {
      await outbox.close();
      await idempotency.close();
      await sessions.close();
    },
  };
}
