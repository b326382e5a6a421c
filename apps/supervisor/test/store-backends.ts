/**
 * The stores of both backends behind one shape, so a contract test runs one body on each
 * (`describe.each(STORE_BACKENDS)`) and the single-node default is checked by the same tests as the cluster store.
 * A test takes fresh storage (a DATA_DIR, a PostgreSQL database); every `node()` on it is one more supervisor
 * sharing it, with a connection (SQLite) or a pool (PostgreSQL) of its own.
 */
import { afterEach } from 'vitest';
import type { OutboxStore } from '../src/events/outbox-store.js';
import { PgOutboxStore } from '../src/events/pg-outbox-store.js';
import { SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import type { IdempotencyStore } from '../src/messages/idempotency-store.js';
import { PgIdempotencyStore } from '../src/messages/pg-idempotency-store.js';
import { SqliteIdempotencyStore } from '../src/messages/sqlite-idempotency-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { SqliteDatabase } from '../src/store/sqlite.js';
import { removeDir, tempDataDir } from './helpers.js';
import { settledReads, testDatabase } from './postgres.js';

/** One supervisor's stores on the shared storage. */
export interface StoreNode {
  outbox: OutboxStore;
  keys: IdempotencyStore;
}

interface Storage {
  node(): Promise<StoreNode>;
  dispose(): void;
}

type Backend = () => Promise<Storage>;

const sqlite: Backend = async () => {
  const dataDir = tempDataDir();
  return {
    async node() {
      const database = SqliteDatabase.open(dataDir);
      return { outbox: new SqliteOutboxStore(database), keys: new SqliteIdempotencyStore(database) };
    },
    dispose: () => removeDir(dataDir),
  };
};

const postgres: Backend = async () => {
  const url = await testDatabase();
  return {
    async node() {
      const database = await PostgresDatabase.open({ connectionString: url });
      // Other test files share the server: their transactions may hold our readers back for a moment.
      return { outbox: settledReads(new PgOutboxStore(database), database), keys: new PgIdempotencyStore(database) };
    },
    dispose: () => {},
  };
};

export const STORE_BACKENDS: Array<[name: string, backend: Backend]> = [
  ['sqlite', sqlite],
  ['postgres', postgres],
];

/** Fresh storage of `backend` for every test; the nodes a test opened are closed after it. */
export function useStorage(backend: Backend): { node(): Promise<StoreNode> } {
  let storage: Storage | undefined;
  const nodes: StoreNode[] = [];
  afterEach(async () => {
    for (const { outbox, keys } of nodes.splice(0)) {
      await outbox.close();
      await keys.close();
    }
    storage?.dispose();
    storage = undefined;
  });
  return {
    async node() {
      storage ??= await backend();
      const node = await storage.node();
      nodes.push(node);
      return node;
    },
  };
}
