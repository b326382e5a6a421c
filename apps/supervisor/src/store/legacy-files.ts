/**
 * Versions before 0.2 kept three SQLite files in DATA_DIR: registry.db (sessions), outbox.db (events and
 * deliveries) and messages.db (idempotency keys). The first start of this version brings each to its last
 * schema, copies its rows into wsm.db in one transaction, and renames it `<name>.imported`, so nothing is lost
 * and nothing is imported twice.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS as OUTBOX_MIGRATIONS } from '../events/sqlite-outbox-store.js';
import { MIGRATIONS as MESSAGE_MIGRATIONS } from '../messages/sqlite-idempotency-store.js';
import { MIGRATIONS as SESSION_MIGRATIONS } from './sqlite-session-store.js';

const LEGACY_FILES = [
  { file: 'registry.db', migrations: SESSION_MIGRATIONS, tables: ['sessions'] },
  // Events before their deliveries (a delivery references its event).
  { file: 'outbox.db', migrations: OUTBOX_MIGRATIONS, tables: ['events', 'deliveries'] },
  { file: 'messages.db', migrations: MESSAGE_MIGRATIONS, tables: ['idempotent_sends'] },
] as const;

/** Brings a file of an earlier version to its last schema, the way those versions migrated (`user_version`). */
function upgradeInPlace(path: string, migrations: readonly string[]): void {
  const old = new Database(path);
  try {
    old.pragma('journal_mode = WAL');
    const applied = old.pragma('user_version', { simple: true }) as number;
    old.transaction(() => {
      for (const [index, sql] of migrations.entries()) if (index >= applied) old.exec(sql);
      old.pragma(`user_version = ${migrations.length}`);
    })();
    // Fold the WAL into the file, so the copy below reads everything.
    old.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    old.close();
  }
}

const columnsOf = (db: Database.Database, schema: string, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(table, schema) as Array<{ name: string }>).map((row) => row.name);

/** Imports what earlier versions left in `dataDir` into `db` (whose tables exist already); returns the files imported. */
export function importLegacyFiles(db: Database.Database, dataDir: string): string[] {
  const imported: string[] = [];
  for (const { file, migrations, tables } of LEGACY_FILES) {
    const path = join(dataDir, file);
    if (!existsSync(path)) continue;
    upgradeInPlace(path, migrations);
    db.prepare('ATTACH DATABASE ? AS legacy').run(path);
    try {
      db.transaction(() => {
        for (const table of tables) {
          const wanted = new Set(columnsOf(db, 'main', table));
          const columns = columnsOf(db, 'legacy', table).filter((column) => wanted.has(column)).join(', ');
          db.exec(`INSERT INTO main.${table} (${columns}) SELECT ${columns} FROM legacy.${table}`);
        }
        // Event numbers are never reused, pruned ones included: carry the highest one handed out.
        if ((tables as readonly string[]).includes('events')) {
          db.exec(`UPDATE main.sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM legacy.sqlite_sequence WHERE name = 'events'), 0))
                    WHERE name = 'events'`);
          db.exec(`INSERT INTO main.sqlite_sequence (name, seq)
                   SELECT 'events', seq FROM legacy.sqlite_sequence WHERE name = 'events'
                    AND NOT EXISTS (SELECT 1 FROM main.sqlite_sequence WHERE name = 'events')`);
        }
      })();
    } finally {
      db.exec('DETACH DATABASE legacy');
    }
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, `${path}.imported${suffix}`);
    }
    imported.push(file);
  }
  return imported;
}
