/**
 * The embedded store: one SQLite file, `<DATA_DIR>/wsm.db`, in WAL mode with the configured durability, shared
 * by the session registry, the event outbox and the idempotency keys. One file, so that a session's change and
 * the events it causes commit in one transaction (better-sqlite3 is synchronous: one connection serves all of
 * them without contention). Each part migrates its own tables (`schema_versions` records how far), and the
 * three files of earlier versions are imported once (legacy-files.ts).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';

export type Synchronous = 'NORMAL' | 'FULL';

export const DATABASE_FILE = 'wsm.db';

export function openDatabase(path: string, synchronous: Synchronous): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Applies the migrations of one part of the database that have not run yet, in order, in one transaction. */
export function migrate(db: Database.Database, component: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT');
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined;
    const applied = row?.version ?? 0;
    for (const [index, sql] of migrations.entries()) if (index >= applied) db.exec(sql);
    db.prepare('INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version').run(
      component,
      migrations.length,
    );
  })();
}

/**
 * The shared connection. Every store on it acquires it and releases it when closed; the last release closes
 * the file, so a store can be closed on its own (tests do) without cutting off the others.
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  #users = 0;

  constructor(db: Database.Database) {
    this.db = db;
  }

  static open(dataDir: string, synchronous: Synchronous = 'NORMAL'): SqliteDatabase {
    return new SqliteDatabase(openDatabase(join(dataDir, DATABASE_FILE), synchronous));
  }

  acquire(): Database.Database {
    this.#users++;
    return this.db;
  }

  release(): void {
    this.#users--;
    if (this.#users <= 0 && this.db.open) this.db.close();
  }
}

/** Prepares each distinct SQL text once: queries built from filters come in a handful of shapes. */
export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
