/**
 * The outbox contract for several writers, on real SQLite: two stores on one outbox file stand for two
 * supervisors sharing a database (two connections, SQLite's own locking between them).
 * Claims carry an owner, expire, are taken over, and a lost claim's late outcome changes nothing;
 * cursors: head, resume after an id (stored or pruned), paging.
 */
import { importLegacyFiles } from '../src/store/legacy-files.js';
import { SqliteDatabase } from '../src/store/sqlite.js';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClaimOwner, type ClaimOwner } from '../src/events/claim-owner.js';
import { claimTiming, MIN_CLAIM_TTL_MS } from '../src/events/claim-policy.js';
import type { Envelope } from '../src/events/envelope.js';
import { createEventIds } from '../src/events/event-id.js';
import { STREAM_START, type Claim, type NewEvent, type OutboxStore } from '../src/events/outbox-store.js';
import { SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import { removeDir, tempDataDir } from './helpers.js';

const T1 = 'http://127.0.0.1:9/one';
const T2 = 'http://127.0.0.1:9/two';
const T3 = 'http://127.0.0.1:9/three';
const noClaim: Claim = { owner: 'nobody/0', untilMs: 0 };

let dataDir: string;
const stores: OutboxStore[] = [];
let clock = 1_000_000;
const nextId = createEventIds(() => clock);

beforeEach(() => {
  dataDir = tempDataDir();
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  removeDir(dataDir);
});

function open(): OutboxStore {
  const store = new SqliteOutboxStore(SqliteDatabase.open(dataDir));
  stores.push(store);
  return store;
}

function event(targets: NewEvent['targets'] = [], atMs = clock): NewEvent {
  clock = Math.max(clock + 1, atMs);
  const envelope: Envelope = { id: nextId(), type: 'message.received', sessionId: 's', timestamp: new Date(atMs).toISOString(), data: {} };
  return { envelope, body: JSON.stringify(envelope), targets };
}

/** Appends one event; resolves with its key. */
async function appendOne(store: OutboxStore, targets: NewEvent['targets'], atMs: number, held: Claim = noClaim): Promise<number> {
  const [appended] = await store.append([event(targets, atMs)], held);
  return appended!.eventSeq;
}

const pending = (...urls: string[]): NewEvent['targets'] => urls.map((url) => ({ url, claimed: false }));
const claim = (owner: ClaimOwner, untilMs: number): Claim => ({ owner: owner.id, untilMs });

async function statusOf(store: OutboxStore, target: string): Promise<string | undefined> {
  return (await store.listDeliveries({ limit: 100 })).find((delivery) => delivery.target === target)?.status;
}

describe('outbox claims', () => {
  it('let an expired claim be taken over, and refuse the late outcome of the claimant that lost it', async () => {
    const a = open();
    const b = open();
    const nodeA = newClaimOwner('node-a');
    const nodeB = newClaimOwner('node-b');
    const now = 5_000_000;
    const eventSeq = await appendOne(a, pending(T1), now - 10);

    const taken = await a.claimDue(claim(nodeA, now + 1000), now, T1, 10);
    expect(taken).toMatchObject([{ eventSeq, target: T1, attempts: 0 }]);
    // Held, not expired: nobody else sees it as due.
    expect(await b.dueTargets(now + 999)).toEqual([]);
    expect(await b.claimDue(claim(nodeB, now + 5000), now + 999, T1, 10)).toEqual([]);

    // A stalls past its claim: B takes the delivery over, attempts as A left them.
    expect(await b.dueTargets(now + 1000)).toEqual([T1]);
    expect(await b.claimDue(claim(nodeB, now + 6000), now + 1000, T1, 10)).toMatchObject([{ eventSeq, target: T1, attempts: 0 }]);

    // A wakes up: none of its outcomes counts any more, nor does renewing bring the claim back.
    expect(await a.renewClaims(nodeA.id, now + 9000)).toBe(0);
    expect(await a.markDelivered(nodeA.id, [{ eventSeq, target: T1, statusCode: 200 }], now + 1100)).toBe(0);
    expect(await a.markRetry(nodeA.id, { eventSeq, target: T1 }, { attempts: 1, nextAttemptMs: now, error: 'late', statusCode: 500 })).toBe(false);
    expect(await a.markFailed(nodeA.id, { eventSeq, target: T1 }, { attempts: 9, error: 'late', statusCode: 500 })).toBe(false);
    expect(await statusOf(a, T1)).toBe('sending');
    expect(await b.claimDue(claim(nodeA, now + 9000), now + 5999, T1, 10)).toEqual([]);

    // The new holder's outcome is the one recorded.
    expect(await b.markDelivered(nodeB.id, [{ eventSeq, target: T1, statusCode: 204 }], now + 1200)).toBe(1);
    const [delivery] = await a.listDeliveries({ limit: 10 });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204, deliveredAt: new Date(now + 1200).toISOString() });
    expect(await a.markDelivered(nodeA.id, [{ eventSeq, target: T1, statusCode: 200 }], now + 1300)).toBe(0);
  });

  it('keep a renewed claim from being taken over', async () => {
    const a = open();
    const b = open();
    const nodeA = newClaimOwner('node-a');
    const nodeB = newClaimOwner('node-b');
    const now = 5_000_000;
    await a.append([event(pending(T1, T2), now)], noClaim);
    await a.claimDue(claim(nodeA, now + 1000), now, T1, 10);
    await b.claimDue(claim(nodeB, now + 1000), now, T2, 10);

    expect(await a.renewClaims(nodeA.id, now + 10_000)).toBe(1);
    expect(await b.dueTargets(now + 5000)).toEqual([T2]);
    expect(await b.claimDue(claim(nodeB, now + 20_000), now + 5000, T1, 10)).toEqual([]);
    // B's own expired claim is due again too (a claimant that stalled past its own claims takes them anew).
    expect(await b.claimDue(claim(nodeB, now + 20_000), now + 5000, T2, 10)).toHaveLength(1);
  });

  it('write fresh deliveries already claimed, held by the appending owner until their claim expires', async () => {
    const a = open();
    const b = open();
    const nodeA = newClaimOwner('node-a');
    const nodeB = newClaimOwner('node-b');
    const now = 5_000_000;
    const eventSeq = await appendOne(a, [{ url: T1, claimed: true }, { url: T2, claimed: false }], now, claim(nodeA, now + 1000));
    expect(await statusOf(a, T1)).toBe('sending');
    expect(await b.dueTargets(now)).toEqual([T2]);
    expect(await b.claimDue(claim(nodeB, now + 5000), now + 999, T1, 10)).toEqual([]);
    expect(await b.claimDue(claim(nodeB, now + 5000), now + 1000, T1, 10)).toHaveLength(1);
    expect(await a.markDelivered(nodeA.id, [{ eventSeq, target: T1, statusCode: 200 }], now)).toBe(0);
  });

  it('release only the claims of the node asked for: its earlier lives included, other nodes left alone', async () => {
    const a = open();
    const b = open();
    const current = newClaimOwner('node-a');
    const earlierLife = newClaimOwner('node-a');
    const other = newClaimOwner('node-b');
    // A node whose id is a prefix of another's: its release must not reach 'node-a'.
    const prefix = newClaimOwner('node');
    const now = 5_000_000;
    const eventSeq = await appendOne(a, pending(T1, T2, T3), now);
    await a.claimDue(claim(current, now + 60_000), now, T1, 10);
    await a.claimDue(claim(earlierLife, now + 60_000), now, T2, 10);
    await b.claimDue(claim(other, now + 60_000), now, T3, 10);

    expect(await b.releaseClaims(prefix.node)).toBe(0);
    expect(await b.releaseClaims('node-a')).toBe(2);
    expect(await statusOf(a, T1)).toBe('pending');
    expect(await statusOf(a, T2)).toBe('pending');
    expect(await statusOf(a, T3)).toBe('sending');
    expect(await b.dueTargets(now)).toEqual(expect.arrayContaining([T1, T2]));
    expect(await b.dueTargets(now)).not.toContain(T3);
    expect(await b.markDelivered(other.id, [{ eventSeq, target: T3, statusCode: 200 }], now)).toBe(1);
    // Released: the earlier life's late outcome is refused as well.
    expect(await a.markFailed(earlierLife.id, { eventSeq, target: T2 }, { attempts: 1, error: 'x', statusCode: null })).toBe(false);
  });

  it('wake a claimant when another holder\'s claim expires, not for its own', async () => {
    const a = open();
    const nodeA = newClaimOwner('node-a');
    const nodeB = newClaimOwner('node-b');
    const now = 5_000_000;
    await a.append([event(pending(T1, T2, T3), now)], noClaim);
    await a.claimDue(claim(nodeA, now + 100), now, T1, 10);
    await a.claimDue(claim(nodeB, now + 700), now, T2, 10);
    await a.markRetry(nodeB.id, { eventSeq: 1, target: T2 }, { attempts: 1, nextAttemptMs: now + 300, error: 'e', statusCode: 500 });
    await a.claimDue(claim(nodeB, now + 500), now + 300, T2, 10);
    await a.claimDue(claim(nodeB, now + 900), now, T3, 10);
    expect(await a.nextDueMs([], nodeA.id)).toBe(now + 500);
    expect(await a.nextDueMs([T2], nodeA.id)).toBe(now + 900);
    expect(await a.nextDueMs([], nodeB.id)).toBe(now + 100);
  });

  it('time claims to outlive a webhook request and the shutdown grace, renewed three times per lifetime', () => {
    expect(claimTiming(10_000, 2000)).toEqual({ ttlMs: MIN_CLAIM_TTL_MS, renewEveryMs: MIN_CLAIM_TTL_MS / 3 });
    expect(claimTiming(60_000, 2000)).toEqual({ ttlMs: 124_000, renewEveryMs: 41_333 });
    expect(() => newClaimOwner('a/b')).toThrow(TypeError);
    expect(newClaimOwner('local', 'x').id).toBe('local/x');
  });

  it('import an outbox written before claims had owners: its claimed rows go back to pending', async () => {
    const legacy = new Database(join(dataDir, 'outbox.db'));
    legacy.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL,
                   type TEXT NOT NULL, created_ms INTEGER NOT NULL, envelope TEXT NOT NULL) STRICT;
                 CREATE INDEX events_created ON events (created_ms);
                 CREATE TABLE deliveries (event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE, target TEXT NOT NULL,
                   status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, last_error TEXT,
                   last_status INTEGER, delivered_ms INTEGER, PRIMARY KEY (event_seq, target)) STRICT;
                 CREATE INDEX deliveries_due ON deliveries (status, next_attempt_ms);
                 CREATE INDEX deliveries_target_due ON deliveries (target, status, next_attempt_ms);
                 PRAGMA user_version = 1;`);
    const { envelope, body } = event();
    legacy.prepare('INSERT INTO events (id, session_id, type, created_ms, envelope) VALUES (?, ?, ?, ?, ?)').run(envelope.id, 's', envelope.type, 1000, body);
    legacy.prepare("INSERT INTO deliveries (event_seq, target, status, next_attempt_ms) VALUES (1, ?, 'sending', 1000)").run(T1);
    legacy.close();

    // An outbox.db of an earlier version is brought to its last schema and imported into wsm.db.
    const database = SqliteDatabase.open(dataDir);
    const store = new SqliteOutboxStore(database);
    stores.push(store);
    expect(importLegacyFiles(database.db, dataDir)).toEqual(['outbox.db']);
    const owner = newClaimOwner('node-a');
    expect(await store.dueTargets(2000)).toEqual([T1]);
    expect(await store.claimDue(claim(owner, 9000), 2000, T1, 10)).toMatchObject([{ eventId: envelope.id, target: T1 }]);
    expect(await store.markDelivered(owner.id, [{ eventSeq: 1, target: T1, statusCode: 200 }], 2000)).toBe(1);
  });
});

describe('outbox cursors', () => {
  it('page through every event in order, from the start or after any cursor handed out', async () => {
    const store = open();
    const appended = await store.append([event(), event(), event(), event(), event()], noClaim);
    const cursors = appended.map(({ cursor }) => cursor);
    expect([...cursors].sort()).toEqual(cursors);
    expect(new Set(cursors).size).toBe(5);
    expect(cursors.every((cursor) => cursor > STREAM_START)).toBe(true);

    const first = await store.eventsAfter(STREAM_START, 2);
    const second = await store.eventsAfter(first.at(-1)!.cursor, 2);
    const third = await store.eventsAfter(second.at(-1)!.cursor, 2);
    expect([first.length, second.length, third.length]).toEqual([2, 2, 1]);
    expect([...first, ...second, ...third].map(({ cursor }) => cursor)).toEqual(cursors);
    expect(await store.eventsAfter(third.at(-1)!.cursor, 2)).toEqual([]);
    expect((await store.eventsAfter(cursors[1]!, 10)).map(({ envelope }) => envelope.id)).toEqual(
      (await store.eventsAfter(STREAM_START, 10)).slice(2).map(({ envelope }) => envelope.id),
    );
  });

  it('give a head cursor after everything stored, pruned events included, and before everything appended later', async () => {
    const store = open();
    const empty = await store.headCursor();
    expect(await store.eventsAfter(empty, 10)).toEqual([]);
    const appended = await store.append([event([], 1000), event([], 2000)], noClaim);
    const head = await store.headCursor();
    expect(head).toBe(appended.at(-1)!.cursor);
    expect(await store.eventsAfter(head, 10)).toEqual([]);

    expect(await store.prune(10_000)).toBe(2);
    expect(await store.headCursor()).toBe(head);
    const [later] = await store.append([event()], noClaim);
    expect(later!.cursor > head).toBe(true);
    expect((await store.eventsAfter(head, 10)).map(({ cursor }) => cursor)).toEqual([later!.cursor]);
  });

  it('resume after an event id, stored or pruned (ids sort like the events)', async () => {
    const store = open();
    const events = [event([], 1000), event([], 2000), event([], 3000), event([], 9_000_000), event([], 9_000_001)];
    const ids = events.map(({ envelope }) => envelope.id);
    await store.append(events, noClaim);
    const after = async (id: string) => (await store.eventsAfter(await store.cursorOf(id), 10)).map(({ envelope }) => envelope.id);

    expect(await after(ids[1]!)).toEqual(ids.slice(2));
    expect(await after(ids[4]!)).toEqual([]);
    expect(await store.prune(5000)).toBe(3);
    // Pruned: the place among the remaining events still holds, and so does an id older than all of them.
    expect(await after(ids[1]!)).toEqual(ids.slice(3));
    expect(await after(ids[0]!)).toEqual(ids.slice(3));
    expect(await after(ids[3]!)).toEqual([ids[4]]);
  });

  it('hand out cursors in commit order across two writers on one outbox', async () => {
    const a = open();
    const b = open();
    const head = await a.headCursor();
    const fromA = await a.append([event()], noClaim);
    const fromB = await b.append([event(), event()], noClaim);
    const fromA2 = await a.append([event()], noClaim);
    const cursors = [...fromA, ...fromB, ...fromA2].map(({ cursor }) => cursor);
    expect([...cursors].sort()).toEqual(cursors);
    expect((await b.eventsAfter(head, 10)).map(({ cursor }) => cursor)).toEqual(cursors);
    expect(await b.headCursor()).toBe(cursors.at(-1));
  });
});
