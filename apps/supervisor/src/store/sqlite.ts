/**
 * What both SQLite stores share: opening a database file in WAL mode with the configured durability,
 * applying its migrations in order (`PRAGMA user_version` records how many ran), and a statement cache.
 */
import Database from 'better-sqlite3';

export type Synchronous = 'NORMAL' | 'FULL';

export function openDatabase(path: string, synchronous: Synchronous, migrations: readonly string[]): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const applied = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (const [index, sql] of migrations.entries()) if (index >= applied) db.exec(sql);
    db.pragma(`user_version = ${migrations.length}`);
  })();
  return db;
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
