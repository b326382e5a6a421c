/**
 * The embedded store: one file, a session's change and the events it causes in one transaction, and the three
 * files of earlier versions imported once without losing a row.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/events/outbox-store.js';
import { STREAM_START } from '../src/events/outbox-store.js';
import { MIGRATIONS as OUTBOX_MIGRATIONS, SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import { MIGRATIONS as MESSAGE_MIGRATIONS, SqliteIdempotencyStore } from '../src/messages/sqlite-idempotency-store.js';
import { newRecord } from '../src/session/session-record.js';
import { SqliteDatabase } from '../src/store/sqlite.js';
import { MIGRATIONS as SESSION_MIGRATIONS, SqliteSessionStore } from '../src/store/sqlite-session-store.js';
import { json, removeDir, tempDataDir, useTestApps } from './helpers.js';

const apps = useTestApps();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function event(id: string, sessionId = 'tx'): NewEvent {
  const envelope = { id, type: 'session.status' as const, sessionId, timestamp: new Date().toISOString(), data: { status: 'starting' } };
  return { envelope, body: JSON.stringify(envelope), targets: [{ url: 'http://127.0.0.1:9/hook', claimed: false }] };
}

describe('a change and its events', () => {
  it('commit together: a failing event append leaves the row as it was, a refused change appends nothing', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const database = SqliteDatabase.open(dataDir);
    const sessions = new SqliteSessionStore(database);
    const outbox = new SqliteOutboxStore(database);
    await sessions.insert(newRecord({ sessionId: 'tx', engine: 'simulated' }, 'running', new Date().toISOString()));
    const claim = { owner: 'local/test', untilMs: Date.now() + 60_000 };

    const written = await sessions.update('tx', 1, { status: 'starting' }, { events: { events: [event('01KF0000000000000000000001')], claim } });
    expect(written).toMatchObject({ ok: true, record: { status: 'starting', version: 2 } });
    expect(written.ok && written.appended).toHaveLength(1);

    // The same event id again violates the outbox's unique id: the whole change is rolled back.
    await expect(
      sessions.update('tx', 2, { status: 'qr' }, { events: { events: [event('01KF0000000000000000000002'), event('01KF0000000000000000000001')], claim } }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await sessions.get('tx')).toMatchObject({ status: 'starting', version: 2 });

    // A stale version is refused, and its events are not written.
    expect(await sessions.update('tx', 1, { status: 'ready' }, { events: { events: [event('01KF0000000000000000000003')], claim } })).toEqual({
      ok: false,
      reason: 'conflict',
    });
    const stored = await outbox.eventsAfter(STREAM_START, 100);
    expect(stored.map((entry) => entry.envelope.id)).toEqual(['01KF0000000000000000000001']);
    await sessions.close();
    await outbox.close();
    expect(database.db.open).toBe(false);
  });
});

describe('a send and its message.sent', () => {
  it('commit together: the key is sent with its event, or neither is written', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const database = SqliteDatabase.open(dataDir);
    const keys = new SqliteIdempotencyStore(database);
    const outbox = new SqliteOutboxStore(database);
    const claim = { owner: 'local/test', untilMs: Date.now() + 60_000 };
    const result = { id: 'm1', to: '15550002222@c.us', timestamp: 1, type: 'chat' };
    expect(await keys.begin('tx', 'k-1', 'h')).toBe(true);
    expect(await keys.begin('tx', 'k-2', 'h')).toBe(true);

    const appended = await keys.complete('tx', 'k-1', result, { events: [event('01KF0000000000000000000011')], claim });
    expect(appended).toHaveLength(1);
    expect(await keys.get('tx', 'k-1')).toEqual({ state: 'sent', requestHash: 'h', result });

    // An event id already written fails the append: the key stays pending, so nothing claims it was recorded.
    await expect(keys.complete('tx', 'k-2', result, { events: [event('01KF0000000000000000000011')], claim })).rejects.toThrow(/UNIQUE/);
    expect(await keys.get('tx', 'k-2')).toEqual({ state: 'pending', requestHash: 'h' });
    const stored = await outbox.eventsAfter(STREAM_START, 100);
    expect(stored.map((entry) => entry.envelope.id)).toEqual(['01KF0000000000000000000011']);
    await keys.close();
    await outbox.close();
  });
});

describe('the files of an earlier version', () => {
  /** What 0.1 left behind: three files, each at an older schema, with a row in each. */
  function writeLegacyFiles(dataDir: string): void {
    const legacy = (file: string, migrations: readonly string[], applied: number, fill: (db: Database.Database) => void): void => {
      const db = new Database(join(dataDir, file));
      db.pragma('journal_mode = WAL');
      for (const sql of migrations.slice(0, applied)) db.exec(sql);
      db.pragma(`user_version = ${applied}`);
      fill(db);
      db.close();
    };
    const at = '2026-01-15T09:30:00.000Z';
    legacy('registry.db', SESSION_MIGRATIONS, 2, (db) =>
      db
        .prepare(
          `INSERT INTO sessions (session_id, engine, desired_state, status, restarts, metadata, webhooks, created_at, updated_at, proxy)
           VALUES ('old-shop', 'simulated', 'stopped', 'ready', 3, '{"crm":7}', '[]', ?, ?, NULL)`,
        )
        .run(at, at),
    );
    legacy('outbox.db', OUTBOX_MIGRATIONS, 1, (db) => {
      db.prepare(`INSERT INTO events (seq, id, session_id, type, created_ms, envelope) VALUES (41, '01KEZZZZZZZZZZZZZZZZZZZZZZ', 'old-shop', 'message.received', ?, '{}')`).run(Date.parse(at));
      db.prepare(`INSERT INTO deliveries (event_seq, target, status, next_attempt_ms) VALUES (41, 'http://127.0.0.1:9/hook', 'sending', 0)`).run();
      db.exec(`UPDATE sqlite_sequence SET seq = 57 WHERE name = 'events'`);
    });
    legacy('messages.db', MESSAGE_MIGRATIONS, MESSAGE_MIGRATIONS.length, (db) =>
      db
        .prepare(`INSERT INTO idempotent_sends (session_id, idempotency_key, request_hash, state, result, created_ms) VALUES ('old-shop', 'k-1', 'h', 'sent', '{"id":"m1","to":"15550002222@c.us","timestamp":1}', ?)`)
        .run(Date.now()),
    );
  }

  it('are imported into wsm.db once, rows and event numbers kept, then set aside', async () => {
    const test = await apps.open();
    const dataDir = apps.dataDir;
    await test.close();
    for (const file of ['wsm.db', 'wsm.db-wal', 'wsm.db-shm']) removeDir(join(dataDir, file));
    writeLegacyFiles(dataDir);

    const reopened = await apps.open({}, true);
    const session = (await reopened.app.inject({ url: '/sessions/old-shop' })).json();
    // A live status a killed predecessor left is taken back to stopped; the rest is as it was.
    expect(session).toMatchObject({ sessionId: 'old-shop', status: 'stopped', restarts: 3, metadata: { crm: 7 } });
    const deliveries = (await reopened.app.inject({ url: '/webhooks/deliveries' })).json();
    expect(deliveries).toMatchObject([{ eventId: '01KEZZZZZZZZZZZZZZZZZZZZZZ', status: expect.stringMatching(/pending|sending|failed/) }]);
    const head = await reopened.app.outbox.headCursor();
    expect(head > (await reopened.app.outbox.cursorOf('01KEZZZZZZZZZZZZZZZZZZZZZZ'))).toBe(true);
    for (const file of ['registry.db', 'outbox.db', 'messages.db']) {
      expect(existsSync(join(dataDir, file))).toBe(false);
      expect(existsSync(join(dataDir, `${file}.imported`))).toBe(true);
    }
    // Not imported twice: a restart finds the same single session.
    await reopened.close();
    const again = await apps.open({}, true);
    expect((await again.app.inject({ url: '/sessions' })).json()).toHaveLength(1);
    const created = await again.app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'new-shop', start: false }) });
    expect(created.statusCode).toBe(201);
  });
});
