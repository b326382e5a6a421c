/**
 * What only the PostgreSQL store has to show: writes fenced by a session's lease (judged by the database's clock,
 * and ordered against a takeover), and compare-and-set between nodes with pools of their own. The rest of its
 * contract is session-store-contract.test.ts.
 */
import { Writable } from 'node:stream';
import type { PoolClient } from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Claim, NewEvent } from '../src/events/outbox-store.js';
import { SessionRegistry } from '../src/session/session-registry.js';
import { newRecord, type SessionPatch } from '../src/session/session-record.js';
import type { Fence } from '../src/store/fence.js';
import { PgSessionStore } from '../src/store/pg-session-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import type { UpdateOptions, UpdateResult } from '../src/store/session-store.js';
import { eventually } from './helpers.js';
import { testDatabase } from './postgres.js';

const claim: Claim = { owner: 'n1/test', untilMs: Date.now() + 60_000 };

function event(id: string): NewEvent {
  const envelope = { id, type: 'session.status' as const, sessionId: 'shop', timestamp: new Date().toISOString(), data: { status: 'starting' } };
  return { envelope, body: JSON.stringify(envelope), targets: [{ url: 'http://127.0.0.1:9/hook', claimed: true }] };
}

let url: string;
let database: PostgresDatabase;
let store: PgSessionStore;
const opened: PgSessionStore[] = [];
/** Connections of transactions a test holds open; a failed test's are dropped, so its pool can close. */
const held = new Set<PoolClient>();

beforeEach(async () => {
  url = await testDatabase();
  database = await PostgresDatabase.open({ connectionString: url });
  store = new PgSessionStore(database);
  opened.push(store);
  await store.insert(newRecord({ sessionId: 'shop', engine: 'simulated' }, 'running', new Date().toISOString()));
});
afterEach(async () => {
  for (const client of held) client.release(true);
  held.clear();
  for (const each of opened.splice(0)) await each.close();
});

/** A second node: a pool of its own on the same database. */
async function otherNode(): Promise<PgSessionStore> {
  const other = new PgSessionStore(await PostgresDatabase.open({ connectionString: url }));
  opened.push(other);
  return other;
}

const lease = (nodeId: string, epoch: number): Promise<unknown> =>
  database.query(`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ('shop', $1, $2, now() + interval '30 seconds')`, [nodeId, epoch]);

const eventIds = async (): Promise<string[]> => (await database.query<{ id: string }>('SELECT id FROM events ORDER BY seq')).rows.map((row) => row.id);

/** Resolves once `count` statements of this database wait for a row lock. */
const waitingOnLocks = (count: number): Promise<true> =>
  eventually(
    async () => {
      const { rows } = await database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return rows[0]!.n === count || undefined;
    },
    10_000,
    `${count} statements waiting for a lock`,
  );

/** A transaction held open on a connection of its own, as another node's would be. */
async function openTransaction(sql: string, values: unknown[] = []): Promise<{ commit(): Promise<void> }> {
  const client = await database.pool.connect();
  held.add(client);
  await client.query('BEGIN');
  await client.query(sql, values);
  return {
    commit: async () => {
      await client.query('COMMIT');
      held.delete(client);
      client.release();
    },
  };
}

describe('a fenced update', () => {
  it('is applied, with its events, while its lease is held', async () => {
    await lease('n1', 3);
    const fence: Fence = { nodeId: 'n1', epoch: 3 };
    expect(await store.update('shop', 1, { status: 'starting' }, { fence })).toMatchObject({ ok: true, record: { status: 'starting', version: 2 } });
    const written = await store.update('shop', 2, { status: 'qr' }, { fence, events: { events: [event('01KF0000000000000000000001')], claim } });
    expect(written).toMatchObject({ ok: true, record: { status: 'qr', version: 3 }, appended: [{ cursor: expect.any(String) }] });
    expect(await eventIds()).toEqual(['01KF0000000000000000000001']);
  });

  it("is refused as fenced, appending nothing, under a stale epoch, another node's id, an expired lease or none", async () => {
    const refused = async (fence: Fence, expectedVersion = 1): Promise<UpdateResult> =>
      store.update('shop', expectedVersion, { status: 'starting' }, { fence, events: { events: [event('01KF0000000000000000000009')], claim } });
    expect(await refused({ nodeId: 'n1', epoch: 3 })).toEqual({ ok: false, reason: 'fenced' });

    await lease('n1', 3);
    expect(await refused({ nodeId: 'n1', epoch: 2 })).toEqual({ ok: false, reason: 'fenced' });
    expect(await refused({ nodeId: 'n2', epoch: 3 })).toEqual({ ok: false, reason: 'fenced' });
    // A lost lease is told before a stale version: re-reading the row would not make the write right.
    expect(await refused({ nodeId: 'n2', epoch: 3 }, 7)).toEqual({ ok: false, reason: 'fenced' });
    expect(await refused({ nodeId: 'n1', epoch: 3 }, 7)).toEqual({ ok: false, reason: 'conflict' });

    // Expired by the database's clock, whatever the node believes.
    await database.query(`UPDATE session_leases SET expires_at = now() - interval '1 millisecond' WHERE session_id = 'shop'`);
    expect(await refused({ nodeId: 'n1', epoch: 3 })).toEqual({ ok: false, reason: 'fenced' });

    expect(await store.get('shop')).toMatchObject({ status: 'stopped', version: 1 });
    expect(await eventIds()).toEqual([]);
    // A missing row is missing, fence or not (its lease went with it).
    expect(await store.update('nobody', 1, { status: 'starting' }, { fence: { nodeId: 'n1', epoch: 3 } })).toEqual({ ok: false, reason: 'missing' });
  });

  it('that meets a takeover still being committed waits for it, and is then refused', async () => {
    await lease('n1', 3);
    const takeover = await openTransaction(`UPDATE session_leases SET node_id = 'n2', epoch = 4 WHERE session_id = 'shop'`);
    // The former owner's write, on its own pool: it read the lease before the takeover committed.
    const former = await otherNode();
    const write = former.update('shop', 1, { status: 'starting' }, { fence: { nodeId: 'n1', epoch: 3 } });
    await waitingOnLocks(1);
    await takeover.commit();
    expect(await write).toEqual({ ok: false, reason: 'fenced' });
    expect(await store.update('shop', 1, { status: 'starting' }, { fence: { nodeId: 'n2', epoch: 4 } })).toMatchObject({ ok: true });
  });
});

describe('two nodes updating one session at the same version', () => {
  it("one wins, the other is told conflict, and only the winner's events are written", async () => {
    const nodes = [store, await otherNode()];
    // Both statements are sent while a third transaction holds the row, so both have read version 1 when it lets go.
    const holder = await openTransaction(`SELECT 1 FROM sessions WHERE session_id = 'shop' FOR UPDATE`);
    const patches: SessionPatch[] = [{ metadata: { by: 'n1' } }, { metadata: { by: 'n2' } }];
    const writes = nodes.map((node, index) => {
      const options: UpdateOptions = { events: { events: [event(`01KF000000000000000000000${index + 1}`)], claim } };
      return node.update('shop', 1, patches[index]!, options);
    });
    await waitingOnLocks(2);
    await holder.commit();
    const results = await Promise.all(writes);

    const winners = results.flatMap((result, index) => (result.ok ? [index] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(results[1 - winner]).toEqual({ ok: false, reason: 'conflict' });
    expect(await store.get('shop')).toMatchObject({ metadata: patches[winner]!.metadata, version: 2 });
    expect(await eventIds()).toEqual([`01KF000000000000000000000${winner + 1}`]);
  });
});

describe('the registry on a fenced refusal', () => {
  it('does not retry, logs it, takes the stored row and answers 409 WSM_SESSION_FENCED', async () => {
    const lines: Array<{ msg: string; fence?: Fence }> = [];
    const log = pino(new Writable({ write: (chunk: Buffer, _encoding, done) => done(void lines.push(JSON.parse(chunk.toString()))) }));
    let attempts = 0;
    const counting = new (class extends PgSessionStore {
      override update(...args: Parameters<PgSessionStore['update']>): Promise<UpdateResult> {
        attempts++;
        return super.update(...args);
      }
    })(database);
    opened.push(counting);
    // The former owner (n1, epoch 3) loaded the row; then n2 took the session over and wrote it.
    const registry = await SessionRegistry.load(counting, log);
    await lease('n2', 4);
    await store.update('shop', 1, { metadata: { by: 'n2' } }, { fence: { nodeId: 'n2', epoch: 4 } });

    await expect(registry.update('shop', { status: 'starting' }, { fence: { nodeId: 'n1', epoch: 3 } })).rejects.toMatchObject({
      code: 'WSM_SESSION_FENCED',
      statusCode: 409,
    });
    expect(attempts).toBe(1);
    expect(registry.get('shop')).toMatchObject({ status: 'stopped', metadata: { by: 'n2' }, version: 2 });
    expect(lines.filter((line) => line.msg === 'session held under another lease; write refused')).toEqual([
      expect.objectContaining({ fence: { nodeId: 'n1', epoch: 3 } }),
    ]);
    expect(await store.get('shop')).toMatchObject({ status: 'stopped', version: 2 });
  });
});

describe('the registry following notifications', () => {
  it("reads back another node's update, and not one its own cache already has", async () => {
    const client = new (await import('pg')).default.Client({ connectionString: url });
    await client.connect();
    const payloads: string[] = [];
    client.on('notification', (message) => payloads.push(message.payload ?? ''));
    await client.query('LISTEN wsm_sessions');
    let reads = 0;
    const counting = new (class extends PgSessionStore {
      override get(sessionId: string) {
        reads++;
        return super.get(sessionId);
      }
    })(database);
    opened.push(counting);
    const registry = await SessionRegistry.load(counting, pino({ level: 'silent' }));

    // This node's own write: the notification names the version its cache already holds.
    await registry.update('shop', { status: 'starting' });
    await eventually(() => payloads.length === 1, 5_000, 'the notification');
    expect(payloads).toEqual(['shop 2']);
    await registry.updated('shop', 2);
    expect(reads).toBe(0);

    // Another node's write: read back.
    const other = await otherNode();
    await other.update('shop', 2, { metadata: { by: 'other' } });
    await eventually(() => payloads.length === 2, 5_000, 'the second notification');
    const [, version] = payloads[1]!.split(' ');
    expect(await registry.updated('shop', Number(version))).toMatchObject({ version: 3, metadata: { by: 'other' } });
    expect(reads).toBe(1);
    await client.end();
  });
});
