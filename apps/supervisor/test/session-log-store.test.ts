/**
 * The SessionLogStore contract, one body run on the memory store (one node) and the PostgreSQL one (cluster); then
 * what only the PostgreSQL store has: batched writes, a bounded queue while the database is away, retention by
 * one statement, records of several nodes in the order of their time.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedQueue } from '../src/logs/bounded-queue.js';
import type { LogRecord, SessionLogEntry } from '../src/logs/log-record.js';
import { MemorySessionLogStore } from '../src/logs/memory-session-log-store.js';
import { PgSessionLogStore, type PgSessionLogOptions } from '../src/logs/pg-session-log-store.js';
import type { SessionLogStore } from '../src/logs/session-log-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { testDatabase } from './postgres.js';

const PER_SESSION = 10;

function entry(sessionId: string, n: number, extra: Record<string, unknown> = {}, timeMs = 1_700_000_000_000 + n): SessionLogEntry {
  return { sessionId, timeMs, record: { time: new Date(timeMs).toISOString(), level: 'info', source: 'supervisor', msg: `record ${n}`, n, ...extra } };
}

/** What a record says, without the `node` that the PostgreSQL store adds. */
const said = (records: LogRecord[]): Array<Record<string, unknown>> => records.map(({ node: _node, ...rest }) => rest);

interface Captured {
  log: Logger;
  records: Array<Record<string, unknown>>;
}

function capturingLogger(): Captured {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), records };
}

/** Sessions have rows in the cluster's database (retention deletes the records of those that have none). */
async function addSessions(url: string, ...sessionIds: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sessionId of sessionIds) {
      await client.query(
        `INSERT INTO sessions (session_id, engine, desired_state, status, created_at, updated_at)
         VALUES ($1, 'simulated', 'stopped', 'stopped', now()::text, now()::text)`,
        [sessionId],
      );
    }
  } finally {
    await client.end();
  }
}

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** A fresh database with the schema, and a pool on it that the test's stores share. */
async function freshDatabase(): Promise<{ url: string; database: PostgresDatabase }> {
  const url = await testDatabase();
  const database = await PostgresDatabase.open({ connectionString: url, connectTimeoutMs: 1_000 });
  database.acquire();
  opened.push(() => database.release());
  return { url, database };
}

function pgStore(database: PostgresDatabase, options: Partial<PgSessionLogOptions> = {}): PgSessionLogStore {
  const store = new PgSessionLogStore(database, { nodeId: 'n1', perSession: PER_SESSION, log: capturingLogger().log, pruneEveryMs: 0, ...options });
  opened.push(() => store.close());
  return store;
}

const SUBJECTS: Array<[name: string, open: (...sessionIds: string[]) => Promise<SessionLogStore>]> = [
  ['memory', async () => new MemorySessionLogStore(PER_SESSION)],
  [
    'postgres',
    async (...sessionIds) => {
      const { url, database } = await freshDatabase();
      await addSessions(url, ...sessionIds);
      return pgStore(database);
    },
  ],
];

describe.each(SUBJECTS)('SessionLogStore contract: %s', (_name, open) => {
  it('reads back what was appended just before, oldest first, each session its own', async () => {
    const store = await open('a', 'b');
    for (let n = 0; n < 4; n++) {
      store.append(entry('a', n));
      store.append(entry('b', 100 + n));
    }
    expect(said(await store.recent('a', 100))).toEqual([0, 1, 2, 3].map((n) => entry('a', n).record));
    expect((await store.recent('b', 2)).map((record) => record.n)).toEqual([102, 103]);
    expect(await store.recent('nobody', 10)).toEqual([]);
  });

  it('keeps the fields a record was logged with, nested ones too', async () => {
    const store = await open('a');
    const logged = entry('a', 1, { err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' }, pids: [1, 2], ok: true, quote: 'say "hi" \\ back' });
    store.append(logged);
    expect(said(await store.recent('a', 1))).toEqual([logged.record]);
  });

  it('shows at most the last SESSION_LOG_RECORDS of a session, and prune() leaves exactly those', async () => {
    const store = await open('a', 'b');
    for (let n = 0; n < PER_SESSION + 5; n++) store.append(entry('a', n));
    store.append(entry('b', 0));
    const last = Array.from({ length: PER_SESSION }, (_, index) => index + 5);
    expect((await store.recent('a', 1_000)).map((record) => record.n)).toEqual(last);
    await store.prune();
    expect((await store.recent('a', 1_000)).map((record) => record.n)).toEqual(last);
    expect((await store.recent('b', 1_000)).map((record) => record.n)).toEqual([0]);
  });

  it("forgets a deleted session's records, and only its", async () => {
    const store = await open('a', 'b');
    store.append(entry('a', 1));
    store.append(entry('b', 2));
    await store.forget('a');
    expect(await store.recent('a', 10)).toEqual([]);
    expect((await store.recent('b', 10)).map((record) => record.n)).toEqual([2]);
    // The same name again starts afresh.
    store.append(entry('a', 3));
    expect((await store.recent('a', 10)).map((record) => record.n)).toEqual([3]);
  });
});

describe('BoundedQueue', () => {
  it('drops its oldest to take a new item, and a release after an overflow removes only what is still held', () => {
    const queue = new BoundedQueue<number>(3);
    for (const n of [1, 2, 3]) queue.push(n);
    const batch = queue.peek(2);
    expect(batch).toEqual({ from: 0, items: [1, 2] });
    for (const n of [4, 5]) queue.push(n);
    expect(queue.dropped).toBe(2);
    queue.release(batch.from + batch.items.length);
    expect(queue.peek(10).items).toEqual([3, 4, 5]);
    queue.release(queue.tail);
    expect(queue.size).toBe(0);
  });
});

/** Counts the INSERTs the store sends and the rows in each: the store's one round trip per batch. */
function countInserts(database: PostgresDatabase): number[] {
  const batches: number[] = [];
  const query = database.query.bind(database);
  database.query = ((text: string, values?: unknown[]) => {
    if (text.includes('INSERT INTO session_logs')) batches.push((values?.[1] as unknown[]).length);
    return query(text, values);
  }) as PostgresDatabase['query'];
  return batches;
}

async function rowsOf(database: PostgresDatabase): Promise<Record<string, number>> {
  const { rows } = await database.query<{ session_id: string; count: string }>('SELECT session_id, count(*) FROM session_logs GROUP BY session_id');
  return Object.fromEntries(rows.map((row) => [row.session_id, Number(row.count)]));
}

/** Makes the test database refuse connections, and cuts those it has: the database is away for the store. */
async function setReachable(url: string, reachable: boolean): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ host: '127.0.0.1', port: Number(new URL(url).port), user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS ${reachable}`);
    if (!reachable) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  } finally {
    await admin.end();
  }
}

describe('PgSessionLogStore', () => {
  it('writes many records in few round trips: one INSERT per full batch, a partial batch after flushEveryMs', async () => {
    const { url, database } = await freshDatabase();
    await addSessions(url, 'a', 'b');
    const inserts = countInserts(database);
    const store = pgStore(database, { batchRecords: 500, flushEveryMs: 100 });
    for (let n = 0; n < 2_000; n++) store.append(entry(n % 2 === 0 ? 'a' : 'b', n));
    await store.flush();
    expect(inserts).toEqual([500, 500, 500, 500]);

    // A trickle is written once its first record has waited flushEveryMs, as one batch.
    inserts.length = 0;
    for (let n = 0; n < 20; n++) store.append(entry('a', 10_000 + n));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(inserts).toEqual([20]);
    expect(store.pending).toBe(0);
    expect(await rowsOf(database)).toEqual({ a: 1_020, b: 1_000 });
  });

  it('sustains a high rate of records without waiting the logger', async () => {
    const { url, database } = await freshDatabase();
    const sessions = Array.from({ length: 20 }, (_, index) => `s${index}`);
    await addSessions(url, ...sessions);
    const inserts = countInserts(database);
    const total = 50_000;
    const store = pgStore(database, { perSession: 100_000, maxPending: total });
    const began = performance.now();
    for (let n = 0; n < total; n++) store.append(entry(sessions[n % sessions.length]!, n, { engine: 'webjs', from: 'starting', to: 'qr', reason: 'the worker showed a QR code' }));
    const appendedMs = performance.now() - began;
    await store.flush();
    const writtenMs = performance.now() - began;
    const rate = Math.round(total / (writtenMs / 1000));
    console.log(
      `session logs: ${total} appends in ${appendedMs.toFixed(1)} ms (${((appendedMs * 1000) / total).toFixed(2)} µs each); ` +
        `written in ${writtenMs.toFixed(0)} ms = ${rate} records/s, ${inserts.length} INSERTs of ${Math.max(...inserts)} at most`,
    );
    expect(store.lost).toBe(0);
    expect(Object.values(await rowsOf(database)).reduce((sum, count) => sum + count, 0)).toBe(total);
    // Appending is queueing: far below the cost of a write.
    expect(appendedMs / total).toBeLessThan(0.05);
  });

  it('keeps the newest records in a bounded queue while the database is away, never throwing, and writes them once it is back', async () => {
    const { url, database } = await freshDatabase();
    await addSessions(url, 'a');
    const { log, records: logged } = capturingLogger();
    const store = pgStore(database, { log, maxPending: 1_000, flushEveryMs: 50, batchRecords: 200 });
    store.append(entry('a', 0));
    await store.flush();

    await setReachable(url, false);
    const began = performance.now();
    for (let n = 1; n <= 5_000; n++) store.append(entry('a', n));
    const appendedMs = performance.now() - began;
    expect(appendedMs).toBeLessThan(100);
    expect(store.pending).toBe(1_000);
    await expect(store.recent('a', 10)).rejects.toThrow();
    // Still bounded while writes keep failing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let n = 5_001; n <= 6_000; n++) store.append(entry('a', n));
    expect(store.pending).toBe(1_000);
    expect(store.lost).toBe(5_000);
    expect(logged.filter((record) => record.msg === 'could not write session log records; keeping the newest 1000 meanwhile')).toHaveLength(1);

    await setReachable(url, true);
    const records = await store.recent('a', 1_000);
    // The newest records, all there; the oldest went to make room (and the one of before the outage is older still).
    expect(records.map((record) => record.n)).toEqual(Array.from({ length: PER_SESSION }, (_, index) => 5_991 + index));
    expect(await rowsOf(database)).toEqual({ a: 1_001 });
    expect(logged.find((record) => record.msg === 'session log records written again')).toMatchObject({ lost: 5_000 });
    expect(logged.every((record) => record.sessionId === undefined)).toBe(true);
  });

  it('prunes with one statement: each session to its last records, and the records of sessions that no longer exist', async () => {
    const { url, database } = await freshDatabase();
    await addSessions(url, 'a', 'b', 'left');
    // What a node that died wrote: the first prune of a node looks at every session.
    const dead = pgStore(database, { nodeId: 'dead' });
    for (let n = 0; n < 30; n++) dead.append(entry('left', n));
    dead.append(entry('deleted', 0));
    await dead.flush();

    const store = pgStore(database);
    for (let n = 0; n < 25; n++) store.append(entry('a', n));
    for (let n = 0; n < 3; n++) store.append(entry('b', n));
    await store.flush();
    const statements: string[] = [];
    const query = database.query.bind(database);
    database.query = ((text: string, values?: unknown[]) => {
      statements.push(text);
      return query(text, values);
    }) as PostgresDatabase['query'];
    expect(await store.prune()).toBe(15 + 20 + 1);
    expect(statements).toHaveLength(1);
    expect(await rowsOf(database)).toEqual({ a: PER_SESSION, b: 3, left: PER_SESSION });
    expect((await store.recent('a', 100)).map((record) => record.n)).toEqual(Array.from({ length: PER_SESSION }, (_, index) => 15 + index));

    // Later prunes look only at the sessions this node wrote to since.
    for (let n = 30; n < 40; n++) dead.append(entry('left', n));
    await dead.flush();
    store.append(entry('a', 100));
    await store.flush();
    statements.length = 0;
    expect(await store.prune()).toBe(1);
    expect(statements).toHaveLength(1);
    expect(await rowsOf(database)).toEqual({ a: PER_SESSION, b: 3, left: 2 * PER_SESSION });
    expect(await store.prune()).toBe(0);
  });

  it('deletes what it still held of a forgotten session, and a record logged after the delete at the next prune', async () => {
    const { url, database } = await freshDatabase();
    await addSessions(url, 'kept');
    const store = pgStore(database, { flushEveryMs: 10_000 });
    store.append(entry('gone', 1));
    store.append(entry('kept', 1));
    await store.forget('gone');
    expect(await rowsOf(database)).toEqual({ kept: 1 });
    store.append(entry('gone', 2));
    await store.flush();
    expect(await store.prune()).toBe(1);
    expect(await rowsOf(database)).toEqual({ kept: 1 });
  });

  it("orders the records of several nodes by their time, naming each one's node", async () => {
    const { url, database } = await freshDatabase();
    await addSessions(url, 'moved');
    const before = pgStore(database, { nodeId: 'n1' });
    const after = pgStore(database, { nodeId: 'n2' });
    // The new node's first record is written before the old node's last one.
    after.append(entry('moved', 2));
    await after.flush();
    before.append(entry('moved', 1));
    await before.close();
    expect((await after.recent('moved', 10)).map((record) => [record.n, record.node])).toEqual([
      [1, 'n1'],
      [2, 'n2'],
    ]);
  });

  it('writes what jsonb refuses (NUL, a lone surrogate) as U+FFFD, and a batch the database refuses is dropped, not retried', async () => {
    const { url, database } = await freshDatabase();
    await addSessions(url, 'a');
    const { log, records: logged } = capturingLogger();
    const store = pgStore(database, { log });
    store.append(entry('a', 1, { msg: 'before\u0000after', broken: 'x\ud800y', literal: '\\u0000 stays' }));
    const [record] = await store.recent('a', 1);
    expect(record).toMatchObject({ msg: 'before\ufffdafter', broken: 'x\ufffdy', literal: '\\u0000 stays' });

    // Written as the database cannot take it (its time out of bigint's range): dropped and counted.
    store.append({ ...entry('a', 2), timeMs: 2 ** 70 });
    await store.flush();
    store.append(entry('a', 3));
    expect((await store.recent('a', 10)).map((row) => row.n)).toEqual([1, 3]);
    expect(store.lost).toBe(1);
    expect(logged.find((line) => line.msg === 'session log records refused by the database; dropped')).toMatchObject({ records: 1 });
  });
});
