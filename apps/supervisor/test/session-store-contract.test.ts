/**
 * The SessionStore contract, one body run against every store: SQLite (embedded), PostgreSQL (cluster) and the
 * memory store the unit tests use. Fencing and writers on several nodes need leases: pg-session-store.test.ts.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Claim, NewEvent } from '../src/events/outbox-store.js';
import { newRecord, type SessionRecord } from '../src/session/session-record.js';
import { PgSessionStore } from '../src/store/pg-session-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import type { SessionStore } from '../src/store/session-store.js';
import { SqliteDatabase } from '../src/store/sqlite.js';
import { SqliteSessionStore } from '../src/store/sqlite-session-store.js';
import { removeDir, tempDataDir } from './helpers.js';
import { MemorySessionStore } from './memory-session-store.js';
import { testDatabase } from './postgres.js';

interface Subject {
  store: SessionStore;
  /** The ids of the events the store's outbox holds, in the order they were appended. */
  eventIds(): Promise<string[]>;
  close(): Promise<void>;
}

const STORES: Array<{ name: string; open: () => Promise<Subject> }> = [
  {
    name: 'SQLite',
    open: async () => {
      const dataDir = tempDataDir();
      const store = new SqliteSessionStore(SqliteDatabase.open(dataDir));
      return {
        store,
        // A second connection: it sees only what was committed.
        eventIds: async () => {
          const db = new Database(join(dataDir, 'wsm.db'), { readonly: true });
          try {
            return db.prepare('SELECT id FROM events ORDER BY seq').pluck().all() as string[];
          } finally {
            db.close();
          }
        },
        close: async () => {
          await store.close();
          removeDir(dataDir);
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const database = await PostgresDatabase.open({ connectionString: await testDatabase() });
      const store = new PgSessionStore(database);
      return {
        store,
        eventIds: async () => (await database.query<{ id: string }>('SELECT id FROM events ORDER BY seq')).rows.map((row) => row.id),
        close: () => store.close(),
      };
    },
  },
  {
    name: 'memory',
    open: async () => {
      const store = new MemorySessionStore();
      return { store, eventIds: async () => store.events.map((event) => event.envelope.id), close: () => store.close() };
    },
  },
];

const claim: Claim = { owner: 'local/test', untilMs: Date.now() + 60_000 };

function event(id: string, sessionId = 'shop'): NewEvent {
  const envelope = { id, type: 'session.status' as const, sessionId, timestamp: new Date().toISOString(), data: { status: 'starting' } };
  return { envelope, body: JSON.stringify(envelope), targets: [{ url: 'http://127.0.0.1:9/hook', claimed: true }] };
}

/** A record with every field set, JSON fields nested, so a mapping that drops or reshapes one shows. */
function fullRecord(sessionId: string, createdAt: string): SessionRecord {
  return {
    ...newRecord(
      {
        sessionId,
        engine: 'webjs',
        metadata: { crm: { id: 7, tags: ['a', 'b'], vip: true, note: null }, label: 'Größe ✓', ratio: 0.25 },
        webhooks: [{ url: 'https://hooks.example.com/a', events: ['session.status', 'message.received'] }, { url: 'https://hooks.example.com/b' }],
        proxy: 'http://user:secret@proxy.example.com:3128',
      },
      'running',
      createdAt,
    ),
    status: 'ready',
    restarts: 2,
    startedAt: createdAt,
    readyAt: createdAt,
    lastError: { code: 'WSM_WORKER_CRASHED', message: 'exit 1', at: createdAt },
    me: { id: '15550001111@c.us', pushname: 'Shop' },
  };
}

describe.each(STORES)('$name session store', ({ open }) => {
  let subject: Subject;
  let store: SessionStore;
  beforeEach(async () => {
    subject = await open();
    store = subject.store;
  });
  afterEach(() => subject.close());

  it('gives back a record exactly as inserted, and lists records by creation time, then id in byte order', async () => {
    const shop = fullRecord('shop', '2026-01-15T09:30:00.000Z');
    expect(await store.insert(shop)).toEqual({ ok: true });
    expect(await store.get('shop')).toEqual(shop);
    expect(await store.get('nobody')).toBeUndefined();

    await store.insert(newRecord({ sessionId: 'b-late', engine: 'simulated' }, 'stopped', '2026-01-15T10:00:00.000Z'));
    await store.insert(newRecord({ sessionId: 'a-early', engine: 'simulated' }, 'stopped', '2026-01-15T08:00:00.000Z'));
    await store.insert(newRecord({ sessionId: 'shop-b', engine: 'simulated' }, 'stopped', '2026-01-15T09:30:00.000Z'));
    await store.insert(newRecord({ sessionId: 'Shop', engine: 'simulated' }, 'stopped', '2026-01-15T09:30:00.000Z'));
    const listed = await store.list();
    expect(listed.map((record) => record.sessionId)).toEqual(['a-early', 'Shop', 'shop', 'shop-b', 'b-late']);
    expect(listed[2]).toEqual(shop);
  });

  it('refuses an id that exists, keeping the first row', async () => {
    const first = fullRecord('shop', '2026-01-15T09:30:00.000Z');
    await store.insert(first);
    expect(await store.insert(newRecord({ sessionId: 'shop', engine: 'simulated' }, 'stopped', new Date().toISOString()))).toEqual({
      ok: false,
      reason: 'exists',
    });
    expect(await store.get('shop')).toEqual(first);
  });

  it('updates at the expected version only: the next version on success, conflict on a stale one, missing without a row', async () => {
    const shop = fullRecord('shop', '2026-01-15T09:30:00.000Z');
    await store.insert(shop);
    // Fields left undefined are left as they are; null clears a nullable field.
    const written = await store.update('shop', 1, { status: 'disconnected', lastError: null, me: undefined, metadata: { v: 2 } });
    const expected: SessionRecord = { ...shop, status: 'disconnected', lastError: null, metadata: { v: 2 }, version: 2 };
    expect(written).toEqual({ ok: true, record: expected, appended: [] });
    expect(await store.get('shop')).toEqual(expected);

    expect(await store.update('shop', 1, { status: 'stopped' })).toEqual({ ok: false, reason: 'conflict' });
    expect(await store.update('shop', 3, { status: 'stopped' })).toEqual({ ok: false, reason: 'conflict' });
    expect(await store.update('nobody', 1, { status: 'stopped' })).toEqual({ ok: false, reason: 'missing' });
    expect(await store.get('shop')).toEqual(expected);

    // An array-valued JSON field is stored as JSON, not as a database array.
    const again = await store.update('shop', 2, { webhooks: [{ url: 'https://hooks.example.com/c', events: ['message.sent'] }], me: null });
    expect(again).toMatchObject({ ok: true, record: { webhooks: [{ url: 'https://hooks.example.com/c', events: ['message.sent'] }], me: null, version: 3 } });
  });

  it('deletes at the expected version when one is given, and says whether there was a row', async () => {
    await store.insert(newRecord({ sessionId: 'shop', engine: 'simulated' }, 'stopped', new Date().toISOString()));
    await store.update('shop', 1, { status: 'stopped' });
    expect(await store.delete('shop', 1)).toBe(false);
    expect(await store.get('shop')).toMatchObject({ version: 2 });
    expect(await store.delete('shop', 2)).toBe(true);
    expect(await store.get('shop')).toBeUndefined();
    expect(await store.delete('shop')).toBe(false);

    await store.insert(newRecord({ sessionId: 'other', engine: 'simulated' }, 'stopped', new Date().toISOString()));
    expect(await store.delete('other')).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it('commits a change with its events: a failing append leaves the row as it was, a refused change appends nothing', async () => {
    await store.insert(newRecord({ sessionId: 'shop', engine: 'simulated' }, 'running', new Date().toISOString()));
    const written = await store.update('shop', 1, { status: 'starting' }, { events: { events: [event('01KF0000000000000000000001'), event('01KF0000000000000000000002')], claim } });
    expect(written).toMatchObject({ ok: true, record: { status: 'starting', version: 2 } });
    const appended = written.ok ? written.appended : [];
    expect(appended).toHaveLength(2);
    expect(appended[0]!.cursor < appended[1]!.cursor).toBe(true);

    // An event id already written fails the append: the change is rolled back with it.
    await expect(
      store.update('shop', 2, { status: 'qr' }, { events: { events: [event('01KF0000000000000000000003'), event('01KF0000000000000000000001')], claim } }),
    ).rejects.toThrow();
    expect(await store.get('shop')).toMatchObject({ status: 'starting', version: 2 });

    // Refused, stale or missing: nothing of its events is written.
    const refused = { events: { events: [event('01KF0000000000000000000004')], claim } };
    expect(await store.update('shop', 1, { status: 'ready' }, refused)).toEqual({ ok: false, reason: 'conflict' });
    expect(await store.update('nobody', 1, { status: 'ready' }, refused)).toEqual({ ok: false, reason: 'missing' });
    expect(await subject.eventIds()).toEqual(['01KF0000000000000000000001', '01KF0000000000000000000002']);

    // An empty list of events is a change without events.
    expect(await store.update('shop', 2, { status: 'qr' }, { events: { events: [], claim } })).toMatchObject({ ok: true, appended: [] });
  });
});

describe.each(STORES.filter((entry) => entry.name !== 'PostgreSQL'))('$name session store (one node, no leases)', ({ open }) => {
  it('accepts a fence and checks nothing: there is no lease to check it against', async () => {
    const subject = await open();
    await subject.store.insert(newRecord({ sessionId: 'shop', engine: 'simulated' }, 'running', new Date().toISOString()));
    expect(await subject.store.update('shop', 1, { status: 'starting' }, { fence: { nodeId: 'anyone', epoch: 99 } })).toMatchObject({
      ok: true,
      record: { version: 2 },
    });
    await subject.close();
  });
});
