/**
 * The outbox contract for several writers, one body run on both stores: two stores on one outbox stand for two
 * supervisors sharing it (SQLite: two connections to one file; PostgreSQL: two pools on one database).
 * Claims carry an owner, expire, are taken over, and a lost claim's late outcome changes nothing;
 * cursors: head, resume after an id (stored or pruned), paging; failed deliveries kept until an operator acts.
 * Then what only PostgreSQL has: claimants that really run at once, and transactions that commit out of order.
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
import { STREAM_START, type Claim, type Cursor, type DueDelivery, type NewEvent, type OutboxStore } from '../src/events/outbox-store.js';
import { appendPgEvents } from '../src/events/pg-events.js';
import { PgOutboxStore } from '../src/events/pg-outbox-store.js';
import { SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { removeDir, tempDataDir } from './helpers.js';
import { settled, testDatabase } from './postgres.js';
import { STORE_BACKENDS, useStorage } from './store-backends.js';

const T1 = 'http://127.0.0.1:9/one';
const T2 = 'http://127.0.0.1:9/two';
const T3 = 'http://127.0.0.1:9/three';
const noClaim: Claim = { owner: 'nobody/0', untilMs: 0 };

let clock = 1_000_000;
const nextId = createEventIds(() => clock);

function event(targets: NewEvent['targets'] = [], atMs = clock, sessionId = 's'): NewEvent {
  clock = Math.max(clock + 1, atMs);
  const envelope: Envelope = { id: nextId(), type: 'message.received', sessionId, timestamp: new Date(atMs).toISOString(), data: {} };
  return { envelope, body: JSON.stringify(envelope), targets };
}

/** Appends one event; resolves with its key. */
async function appendOne(store: OutboxStore, targets: NewEvent['targets'], atMs: number, held: Claim = noClaim): Promise<number> {
  const [appended] = await store.append([event(targets, atMs)], held);
  return appended!.eventSeq;
}

const pending = (...urls: string[]): NewEvent['targets'] => urls.map((url) => ({ url, claimed: false }));
const claim = (owner: ClaimOwner, untilMs: number): Claim => ({ owner: owner.id, untilMs });
const ids = (events: ReadonlyArray<{ envelope: Envelope }>): string[] => events.map(({ envelope }) => envelope.id);

async function statusOf(store: OutboxStore, target: string): Promise<string | undefined> {
  return (await store.listDeliveries({ limit: 100 })).find((delivery) => delivery.target === target)?.status;
}

describe.each(STORE_BACKENDS)('the %s outbox', (_name, backend) => {
  const storage = useStorage(backend);
  const open = async (): Promise<OutboxStore> => (await storage.node()).outbox;

  describe('claims', () => {
    it('let an expired claim be taken over, and refuse the late outcome of the claimant that lost it', async () => {
      const a = await open();
      const b = await open();
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

    it('record a batch of finished deliveries only for those the owner still holds', async () => {
      const a = await open();
      const b = await open();
      const nodeA = newClaimOwner('node-a');
      const nodeB = newClaimOwner('node-b');
      const now = 5_000_000;
      const [first, second] = await a.append([event(pending(T1, T2), now), event(pending(T1), now)], noClaim);
      await a.claimDue(claim(nodeA, now + 1000), now, T1, 10);
      await a.claimDue(claim(nodeA, now + 5000), now, T2, 10);
      // T1's claims expire and B takes them; A still holds T2's.
      expect(await b.claimDue(claim(nodeB, now + 9000), now + 1000, T1, 10)).toHaveLength(2);

      const batch = [
        { eventSeq: second!.eventSeq, target: T1, statusCode: 200 },
        { eventSeq: first!.eventSeq, target: T2, statusCode: 201 },
        { eventSeq: first!.eventSeq, target: T1, statusCode: 202 },
        // Reported twice (it is one delivery): recorded once.
        { eventSeq: first!.eventSeq, target: T2, statusCode: 201 },
      ];
      expect(await a.markDelivered(nodeA.id, batch, now + 1100)).toBe(1);
      const deliveries = await a.listDeliveries({ limit: 10 });
      expect(deliveries.filter((delivery) => delivery.status === 'delivered')).toMatchObject([{ target: T2, lastStatusCode: 201, attempts: 1 }]);
      expect(deliveries.filter((delivery) => delivery.status === 'sending')).toHaveLength(2);
      expect(await a.markDelivered(nodeA.id, [], now)).toBe(0);
    });

    it('keep a renewed claim from being taken over', async () => {
      const a = await open();
      const b = await open();
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

    it('claim expired claims first, then pending ones by attempt time, up to the limit', async () => {
      const a = await open();
      const nodeA = newClaimOwner('node-a');
      const nodeB = newClaimOwner('node-b');
      const now = 5_000_000;
      const appended = await a.append([event(pending(T1), now), event(pending(T1), now), event(pending(T1), now), event(pending(T1), now)], noClaim);
      const [e1, e2, e3, e4] = appended.map(({ eventSeq }) => eventSeq);
      await a.claimDue(claim(nodeA, now + 100), now, T1, 4);
      await a.markRetry(nodeA.id, { eventSeq: e1!, target: T1 }, { attempts: 1, nextAttemptMs: now + 50, error: 'e', statusCode: 500 });
      await a.markRetry(nodeA.id, { eventSeq: e2!, target: T1 }, { attempts: 1, nextAttemptMs: now + 20, error: 'e', statusCode: 500 });
      await a.markRetry(nodeA.id, { eventSeq: e3!, target: T1 }, { attempts: 1, nextAttemptMs: now + 500, error: 'e', statusCode: 500 });
      // e4 stays claimed by A until now + 100.

      const keys = (claimed: DueDelivery[]) => claimed.map(({ eventSeq }) => eventSeq);
      expect(keys(await a.claimDue(claim(nodeB, now + 9000), now + 200, T1, 2))).toEqual([e4, e2]);
      expect(keys(await a.claimDue(claim(nodeB, now + 9000), now + 200, T1, 10))).toEqual([e1]);
      expect(await a.claimDue(claim(nodeB, now + 9000), now + 200, T1, 0)).toEqual([]);
    });

    it('write fresh deliveries already claimed, held by the appending owner until their claim expires', async () => {
      const a = await open();
      const b = await open();
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
      const a = await open();
      const b = await open();
      const current = newClaimOwner('node-a');
      const earlierLife = newClaimOwner('node-a');
      const other = newClaimOwner('node-b');
      // A node whose id is a prefix of another's: its release must not reach 'node-a'.
      const prefix = newClaimOwner('node');
      // '_' is a LIKE wildcard: 'node_a' must not release 'node-a'.
      const lookalike = newClaimOwner('node_a');
      const now = 5_000_000;
      const eventSeq = await appendOne(a, pending(T1, T2, T3), now);
      await a.claimDue(claim(current, now + 60_000), now, T1, 10);
      await a.claimDue(claim(earlierLife, now + 60_000), now, T2, 10);
      await b.claimDue(claim(other, now + 60_000), now, T3, 10);

      expect(await b.releaseClaims(prefix.node)).toBe(0);
      expect(await b.releaseClaims(lookalike.node)).toBe(0);
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

    it("wake a claimant when another holder's claim expires, not for its own", async () => {
      const a = await open();
      const nodeA = newClaimOwner('node-a');
      const nodeB = newClaimOwner('node-b');
      const now = 5_000_000;
      const eventSeq = await appendOne(a, pending(T1, T2, T3), now);
      expect(await a.nextDueMs([], nodeA.id)).toBe(now);
      await a.claimDue(claim(nodeA, now + 100), now, T1, 10);
      await a.claimDue(claim(nodeB, now + 700), now, T2, 10);
      await a.markRetry(nodeB.id, { eventSeq, target: T2 }, { attempts: 1, nextAttemptMs: now + 300, error: 'e', statusCode: 500 });
      await a.claimDue(claim(nodeB, now + 500), now + 300, T2, 10);
      await a.claimDue(claim(nodeB, now + 900), now, T3, 10);
      expect(await a.nextDueMs([], nodeA.id)).toBe(now + 500);
      expect(await a.nextDueMs([T2], nodeA.id)).toBe(now + 900);
      expect(await a.nextDueMs([T2, T3], nodeA.id)).toBeUndefined();
      expect(await a.nextDueMs([], nodeB.id)).toBe(now + 100);
    });
  });

  describe('failed deliveries', () => {
    it('are kept through pruning, listed and counted, until redelivered or discarded', async () => {
      const store = await open();
      const owner = newClaimOwner('node-a');
      const now = 5_000_000;
      const [failing, other, done] = await store.append(
        [event(pending(T1, T2), 1000, 'a'), event(pending(T1), 1000), event(pending(T1), 1000)],
        noClaim,
      );
      const keys = [failing!, other!, done!].map(({ eventSeq }) => eventSeq);
      await store.claimDue(claim(owner, now + 1000), now, T1, 10);
      await store.claimDue(claim(owner, now + 1000), now, T2, 10);
      await store.markFailed(owner.id, { eventSeq: keys[0]!, target: T1 }, { attempts: 5, error: 'HTTP 500', statusCode: 500 });
      await store.markFailed(owner.id, { eventSeq: keys[1]!, target: T1 }, { attempts: 5, error: 'refused', statusCode: null });
      expect(
        await store.markDelivered(
          owner.id,
          [{ eventSeq: keys[0]!, target: T2, statusCode: 200 }, { eventSeq: keys[2]!, target: T1, statusCode: 200 }],
          now,
        ),
      ).toBe(2);
      expect(await store.counts()).toEqual({ events: 3, pending: 0, failed: 2 });

      // Old and done: pruned; old with a failed delivery: kept, whatever its age.
      expect(await store.prune(now)).toBe(1);
      expect(await store.counts()).toEqual({ events: 2, pending: 0, failed: 2 });
      const failed = await store.listDeliveries({ status: 'failed', limit: 10 });
      expect(failed).toHaveLength(2);
      expect(failed.find((delivery) => delivery.lastStatusCode === null)).toMatchObject({
        target: T1,
        attempts: 5,
        lastError: 'refused',
        nextAttemptAt: null,
        createdAt: new Date(1000).toISOString(),
      });
      expect(await store.listDeliveries({ sessionId: 'a', limit: 10 })).toHaveLength(2);
      expect(await store.listDeliveries({ sessionId: 'a', status: 'failed', limit: 10 })).toHaveLength(1);
      expect(await store.listDeliveries({ limit: 1 })).toHaveLength(1);

      // One event's failed delivery back to pending with a fresh count; the other dropped on purpose.
      const eventId = (await store.listDeliveries({ sessionId: 'a', status: 'failed', limit: 1 }))[0]!.eventId;
      expect(await store.redeliver(eventId, now + 10)).toBe(1);
      expect(await store.redeliver(eventId, now + 10)).toBe(0);
      expect((await store.listDeliveries({ sessionId: 'a', status: 'pending', limit: 10 }))[0]).toMatchObject({
        attempts: 0,
        nextAttemptAt: new Date(now + 10).toISOString(),
      });
      expect(await store.discardFailed(undefined)).toBe(1);
      expect(await store.counts()).toEqual({ events: 2, pending: 1, failed: 0 });
      expect(await store.prune(now)).toBe(1);
      expect(await store.redeliver(undefined, now)).toBe(0);
      expect(await store.discardFailed(eventId)).toBe(0);
    });
  });

  describe('cursors', () => {
    it('page through every event in order, from the start or after any cursor handed out', async () => {
      const store = await open();
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
      expect(ids(await store.eventsAfter(cursors[1]!, 10))).toEqual(ids(await store.eventsAfter(STREAM_START, 10)).slice(2));
      await expect(store.eventsAfter('nonsense' as Cursor, 1)).rejects.toThrow(TypeError);
    });

    it('give a head cursor after everything stored, pruned events included, and before everything appended later', async () => {
      const store = await open();
      const empty = await store.headCursor();
      expect(await store.eventsAfter(empty, 10)).toEqual([]);
      const appended = await store.append([event([], 1000), event([], 2000)], noClaim);
      const head = await store.headCursor();
      expect(head >= appended.at(-1)!.cursor).toBe(true);
      expect(await store.eventsAfter(head, 10)).toEqual([]);

      expect(await store.prune(10_000)).toBe(2);
      // The head does not fall back behind pruned events (SQLite: the sequence outlives them).
      const pruned = await store.headCursor();
      expect(pruned >= head).toBe(true);
      const [later] = await store.append([event()], noClaim);
      expect(later!.cursor > pruned).toBe(true);
      expect((await store.eventsAfter(head, 10)).map(({ cursor }) => cursor)).toEqual([later!.cursor]);
      expect((await store.eventsAfter(pruned, 10)).map(({ cursor }) => cursor)).toEqual([later!.cursor]);
    });

    it('resume after an event id, stored or pruned (ids sort like the events)', async () => {
      const store = await open();
      const events = [event([], 1000), event([], 2000), event([], 3000), event([], 9_000_000), event([], 9_000_001)];
      const eventIds = ids(events);
      await store.append(events, noClaim);
      const after = async (id: string) => ids(await store.eventsAfter(await store.cursorOf(id), 10));

      expect(await after(eventIds[1]!)).toEqual(eventIds.slice(2));
      expect(await after(eventIds[4]!)).toEqual([]);
      expect(await store.prune(5000)).toBe(3);
      // Pruned: the place among the remaining events still holds, and so does an id older than all of them.
      expect(await after(eventIds[1]!)).toEqual(eventIds.slice(3));
      expect(await after(eventIds[0]!)).toEqual(eventIds.slice(3));
      expect(await after(eventIds[3]!)).toEqual([eventIds[4]]);
    });

    it('hand out cursors in commit order across two writers on one outbox', async () => {
      const a = await open();
      const b = await open();
      const head = await a.headCursor();
      const fromA = await a.append([event()], noClaim);
      const fromB = await b.append([event(), event()], noClaim);
      const fromA2 = await a.append([event()], noClaim);
      const cursors = [...fromA, ...fromB, ...fromA2].map(({ cursor }) => cursor);
      expect([...cursors].sort()).toEqual(cursors);
      expect((await b.eventsAfter(head, 10)).map(({ cursor }) => cursor)).toEqual(cursors);
      const later = await b.headCursor();
      expect(later >= cursors.at(-1)!).toBe(true);
      expect(await a.eventsAfter(later, 10)).toEqual([]);
    });
  });
});

describe('claim timing', () => {
  it('time claims to outlive a webhook request and the shutdown grace, renewed three times per lifetime', () => {
    expect(claimTiming(10_000, 2000)).toEqual({ ttlMs: MIN_CLAIM_TTL_MS, renewEveryMs: MIN_CLAIM_TTL_MS / 3 });
    expect(claimTiming(60_000, 2000)).toEqual({ ttlMs: 124_000, renewEveryMs: 41_333 });
    expect(() => newClaimOwner('a/b')).toThrow(TypeError);
    expect(newClaimOwner('local', 'x').id).toBe('local/x');
  });
});

describe('the sqlite outbox', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDataDir();
  });
  afterEach(() => removeDir(dataDir));

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
    try {
      expect(importLegacyFiles(database.db, dataDir)).toEqual(['outbox.db']);
      const owner = newClaimOwner('node-a');
      expect(await store.dueTargets(2000)).toEqual([T1]);
      expect(await store.claimDue(claim(owner, 9000), 2000, T1, 10)).toMatchObject([{ eventId: envelope.id, target: T1 }]);
      expect(await store.markDelivered(owner.id, [{ eventSeq: 1, target: T1, statusCode: 200 }], 2000)).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('the postgres outbox, with nodes really at once', () => {
  const stores: PgOutboxStore[] = [];
  /** One node: a pool of its own on the database at `url`, and a store on it that reads without waiting. */
  async function node(url: string): Promise<{ database: PostgresDatabase; store: PgOutboxStore }> {
    const database = await PostgresDatabase.open({ connectionString: url });
    const store = new PgOutboxStore(database);
    stores.push(store);
    return { database, store };
  }
  afterEach(async () => {
    // The store is the pool's only user: closing it ends the pool.
    for (const store of stores.splice(0)) await store.close();
  });

  it('let two nodes claiming at once take every due delivery exactly once', async () => {
    const url = await testDatabase();
    const [a, b] = [await node(url), await node(url)];
    const now = 5_000_000;
    await a.store.append(Array.from({ length: 150 }, () => event(pending(T1, T2), now - 10)), noClaim);

    const takenBy = new Map<string, string[]>();
    const claimant = async (store: OutboxStore, owner: ClaimOwner): Promise<void> => {
      for (;;) {
        const targets = await store.dueTargets(now);
        if (targets.length === 0) return;
        for (const target of targets) {
          for (const delivery of await store.claimDue(claim(owner, now + 60_000), now, target, 7)) {
            const key = `${delivery.eventSeq} ${delivery.target}`;
            takenBy.set(key, [...(takenBy.get(key) ?? []), owner.id]);
          }
        }
      }
    };
    const nodeA = newClaimOwner('node-a');
    const nodeB = newClaimOwner('node-b');
    // Three claimants per node, each on its own connection of the node's pool.
    await Promise.all([nodeA, nodeA, nodeA, nodeB, nodeB, nodeB].map((owner) => claimant(owner === nodeA ? a.store : b.store, owner)));

    expect(takenBy.size).toBe(300);
    expect([...takenBy.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    const byOwner = (owner: ClaimOwner) =>
      [...takenBy].filter(([, owners]) => owners[0] === owner.id).map(([key]) => {
        const [eventSeq, target] = key.split(' ');
        return { eventSeq: Number(eventSeq), target: target!, statusCode: 200 };
      });
    // Each holds what it took: its finishes count, the other node's are refused.
    const [ofA, ofB] = [byOwner(nodeA), byOwner(nodeB)];
    expect(await b.store.markDelivered(nodeB.id, ofA, now)).toBe(0);
    expect(await a.store.markDelivered(nodeA.id, ofA, now)).toBe(ofA.length);
    expect(await b.store.markDelivered(nodeB.id, ofB, now)).toBe(ofB.length);
    expect(await a.store.counts()).toEqual({ events: 150, pending: 0, failed: 0 });
  });

  it('settle a late finish racing the takeover of its expired claim one way per delivery, never both', async () => {
    const url = await testDatabase();
    const [a, b] = [await node(url), await node(url)];
    const nodeA = newClaimOwner('node-a');
    const nodeB = newClaimOwner('node-b');
    const now = 5_000_000;
    await a.store.append(Array.from({ length: 60 }, () => event(pending(T1), now)), noClaim);
    const heldByA = await a.store.claimDue(claim(nodeA, now + 1000), now, T1, 100);
    expect(heldByA).toHaveLength(60);

    // A's claims have just expired: B takes over in batches while A records them all as delivered, in another order.
    const finished = heldByA.map(({ eventSeq, target }) => ({ eventSeq, target, statusCode: 200 })).reverse();
    const [recorded, ...takeovers] = await Promise.all([
      a.store.markDelivered(nodeA.id, finished, now + 1000),
      ...[1, 2, 3].map(() => b.store.claimDue(claim(nodeB, now + 9000), now + 1000, T1, 10)),
    ]);
    const takenOver = (takeovers as DueDelivery[][]).flat();
    expect((recorded as number) + takenOver.length).toBe(60);
    const deliveries = await b.store.listDeliveries({ limit: 100 });
    expect(deliveries.filter((delivery) => delivery.status === 'delivered')).toHaveLength(recorded as number);
    expect(deliveries.filter((delivery) => delivery.status === 'sending')).toHaveLength(takenOver.length);
    // What B took over is B's to finish, A's refused.
    const late = takenOver.map(({ eventSeq, target }) => ({ eventSeq, target, statusCode: 200 }));
    expect(await a.store.markDelivered(nodeA.id, late, now + 1100)).toBe(0);
    expect(await b.store.markDelivered(nodeB.id, late, now + 1100)).toBe(takenOver.length);
  });

  it('renew claims while batches of them are recorded, without the two deadlocking', async () => {
    const url = await testDatabase();
    const { store } = await node(url);
    const owner = newClaimOwner('node-a');
    const now = 5_000_000;
    await store.append(Array.from({ length: 400 }, () => event(pending(T1), now)), noClaim);
    const held = await store.claimDue(claim(owner, now + 1000), now, T1, 400);
    // Batches in a scattered order, recorded while renewals sweep over all the claims in theirs.
    const scatter = (eventSeq: number): number => (eventSeq * 7919) % 401;
    const scattered = held
      .map(({ eventSeq, target }) => ({ eventSeq, target, statusCode: 200 }))
      .sort((x, y) => scatter(x.eventSeq) - scatter(y.eventSeq));
    const batches = Array.from({ length: 8 }, (_, index) => scattered.filter((_entry, position) => position % 8 === index));
    const results = await Promise.all([
      ...batches.map((batch) => store.markDelivered(owner.id, batch, now)),
      ...batches.map((_batch, index) => store.renewClaims(owner.id, now + 2000 + index)),
    ]);
    expect(results.slice(0, 8).reduce((sum, count) => sum + count, 0)).toBe(400);
    expect(await store.counts()).toEqual({ events: 400, pending: 0, failed: 0 });
  });

  it('hand out no cursor past a transaction still open, and show its event to every reader once it commits', async () => {
    const url = await testDatabase();
    const a = await node(url);
    const b = await node(url);
    const firstEvent = event();
    const [first] = await a.store.append([firstEvent], noClaim);
    await settled(b.database);
    const handedOut: Cursor[] = [await b.store.headCursor(), ...(await b.store.eventsAfter(STREAM_START, 10)).map(({ cursor }) => cursor)];
    expect(handedOut).toEqual([expect.any(String), first!.cursor]);

    // A's transaction appends and stays open; B appends and commits after it.
    const slow = event();
    const fast = event();
    const open = await a.database.pool.connect();
    let committed = false;
    try {
      await open.query('BEGIN');
      const [pendingSlow] = await appendPgEvents(open, [slow], noClaim);
      const [appendedFast] = await b.store.append([fast], noClaim);
      // In the stream the open transaction's event comes first: a reader already past `fast` would never see it.
      expect(appendedFast!.cursor > pendingSlow!.cursor).toBe(true);

      const page = await b.store.eventsAfter(STREAM_START, 10);
      expect(ids(page)).toEqual([firstEvent.envelope.id]);
      const head = await b.store.headCursor();
      const resumeFast = await b.store.cursorOf(fast.envelope.id);
      const resumeFirst = await b.store.cursorOf(firstEvent.envelope.id);
      handedOut.push(...page.map(({ cursor }) => cursor), head, resumeFast, resumeFirst);
      for (const cursor of handedOut) expect(cursor < pendingSlow!.cursor).toBe(true);
      expect(await b.store.eventsAfter(head, 10)).toEqual([]);
      expect(await b.store.eventsAfter(resumeFast, 10)).toEqual([]);

      await open.query('COMMIT');
      committed = true;
    } finally {
      if (!committed) await open.query('ROLLBACK');
      open.release();
    }

    // Once it has committed and nothing older runs, every reader sees both, in stream order, whatever cursor it holds.
    await settled(b.database);
    for (const cursor of handedOut) {
      expect(ids(await b.store.eventsAfter(cursor, 10)).filter((id) => id !== firstEvent.envelope.id)).toEqual([slow.envelope.id, fast.envelope.id]);
    }
    const resumed = await b.store.cursorOf(fast.envelope.id);
    expect(await b.store.eventsAfter(resumed, 10)).toEqual([]);
  });
});
