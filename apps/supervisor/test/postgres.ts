/** A database of the run's PostgreSQL server (postgres-setup.ts) for one test or one file, and reading it settled. */
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import type { OutboxStore } from '../src/events/outbox-store.js';
import type { PostgresDatabase } from '../src/store/postgres.js';
import { createDatabase } from './postgres-server.js';

export function testDatabase(): Promise<string> {
  return createDatabase(inject('postgresPort'));
}

/**
 * Resolves once every transaction that began before the call has ended, on the whole server: from then on the
 * outbox's readers hand out everything committed before it (pg-event-stream.ts holds back events behind a
 * transaction still running, and the test files running beside this one share the server).
 */
export async function settled(database: PostgresDatabase): Promise<void> {
  // A transaction of our own, committed at once: its id is above every transaction that began before it.
  const { rows } = await database.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  const xid = rows[0]!.xid;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows: horizon } = await database.query<{ past: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS past', [xid]);
    if (horizon[0]!.past) return;
    // No event to wait on: another session's transaction ending is seen only by asking again.
    if (Date.now() > deadline) throw new Error(`transactions older than ${xid} still running after 10 s`);
    await sleep(5);
  }
}

const READERS: ReadonlySet<PropertyKey> = new Set(['eventsAfter', 'headCursor', 'cursorOf']);

/**
 * The store, with its readers waiting until what was committed before them is settled: what a contract test
 * that appends and then reads expects, whatever other test files do on the server meanwhile.
 */
export function settledReads(store: OutboxStore, database: PostgresDatabase): OutboxStore {
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      // Bound to the store itself: its methods use private fields, which a proxy does not have.
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      return READERS.has(key)
        ? async (...args: unknown[]) => {
            await settled(database);
            return method(...args);
          }
        : method;
    },
  });
}
