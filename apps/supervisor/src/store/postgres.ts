/**
 * The cluster store: one PostgreSQL database (`DATABASE_URL`) shared by every node, holding what SQLite holds on
 * one node (sessions, events, deliveries, idempotency keys) and what a cluster adds (nodes, session leases,
 * auth state). A pool of connections (`pg`); the schema is migrated at start under a transaction-scoped
 * advisory lock, so N nodes starting together apply each migration once (the lock serializes them and the
 * second one finds the version already recorded). Advisory locks serve migrations only: ownership of sessions
 * is the lease rows' (cluster/lease-store.ts), never a lock tied to one connection.
 */
import pg from 'pg';
import { MIGRATIONS } from './postgres-schema.js';

/** What a query runs on: the pool, or one connection inside a transaction. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/** `hashtext('wsm:migrate')` would do as well; a fixed number keeps the lock visible in pg_locks. */
const MIGRATION_LOCK = 0x77736d01;

export interface PostgresOptions {
  connectionString: string;
  /** Connections in the pool; every node holds up to this many. */
  max?: number;
  /** A statement that runs longer fails (and its transaction rolls back), so a stuck database cannot hang a node. */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Labels the node's connections in pg_stat_activity. */
  applicationName?: string;
}

export class PostgresDatabase {
  readonly pool: pg.Pool;
  #users = 0;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Connects and brings the schema up to date; rejects if the database cannot be reached or migrated. */
  static async open(options: PostgresOptions): Promise<PostgresDatabase> {
    const database = PostgresDatabase.pool(options);
    try {
      await database.migrate();
    } catch (error) {
      await database.pool.end();
      throw error;
    }
    return database;
  }

  /** A pool of its own on a database already migrated (a node's lease loop, so nothing else can starve it). */
  static pool(options: PostgresOptions): PostgresDatabase {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      // The server cancels a slow statement; this bounds one whose answer never comes (a cut or blackholed
      // network): the query fails and its connection is dropped from the pool instead of hanging for ever.
      query_timeout: (options.statementTimeoutMs ?? 10_000) + 2_000,
      keepAlive: true,
      application_name: options.applicationName ?? 'wsm',
      // Idle connections are closed, so a restarted server is met with fresh ones.
      idleTimeoutMillis: 30_000,
    });
    // A pooled idle connection the server dropped (restart, pg_terminate_backend) emits here; without a
    // listener it would crash the process. The next query gets a fresh connection.
    pool.on('error', () => {});
    return new PostgresDatabase(pool);
  }

  acquire(): this {
    this.#users++;
    return this;
  }

  /** The last user's release closes the pool. */
  async release(): Promise<void> {
    this.#users--;
    if (this.#users <= 0) await this.pool.end().catch(() => {});
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection whose rollback failed is not given back to the pool.
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_versions (component text PRIMARY KEY, version integer NOT NULL)');
      const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_versions WHERE component = 'wsm'");
      const applied = rows[0]?.version ?? 0;
      for (const [index, sql] of MIGRATIONS.entries()) if (index >= applied) await client.query(sql);
      await client.query(
        `INSERT INTO schema_versions (component, version) VALUES ('wsm', $1)
         ON CONFLICT (component) DO UPDATE SET version = excluded.version`,
        [MIGRATIONS.length],
      );
    });
  }
}
