/** Leases and nodes on a real PostgreSQL: the database's clock decides, epochs fence, claims race safely. */
import { afterEach, describe, expect, it } from 'vitest';
import { PgLeaseStore } from '../src/cluster/pg-lease-store.js';
import { PgNodeStore } from '../src/cluster/pg-node-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { testDatabase } from './postgres.js';

const opened: PostgresDatabase[] = [];
afterEach(async () => {
  for (const database of opened.splice(0)) await database.acquire().release();
});

async function open(url?: string): Promise<{ database: PostgresDatabase; url: string }> {
  const connectionString = url ?? (await testDatabase());
  const database = await PostgresDatabase.open({ connectionString });
  opened.push(database);
  return { database, url: connectionString };
}

async function addSession(database: PostgresDatabase, sessionId: string, createdAt: string, desired = 'running'): Promise<void> {
  await database.query(
    `INSERT INTO sessions (session_id, engine, desired_state, status, created_at, updated_at) VALUES ($1, 'simulated', $2, 'stopped', $3, $3)`,
    [sessionId, desired, createdAt],
  );
}

const timings = { leaseMs: 5_000, graceMs: 1_000 };

describe('PgLeaseStore', () => {
  it('takes a free lease, refuses a held one, and hands it over with a higher epoch once released', async () => {
    const { database } = await open();
    const leases = new PgLeaseStore(database);
    await addSession(database, 's1', '2026-01-01T00:00:00.000Z');
    const first = (await leases.acquire('s1', 'node-a', timings))!;
    expect(first).toEqual({ sessionId: 's1', nodeId: 'node-a', epoch: expect.any(Number) });
    expect(await leases.acquire('s1', 'node-b', timings)).toBeUndefined();
    expect(await leases.holder('s1')).toEqual({ nodeId: 'node-a', epoch: first.epoch, live: true });
    // A release by a holder that no longer holds it (stale epoch) changes nothing.
    expect(await leases.release({ ...first, epoch: 0 })).toBe(false);
    expect(await leases.release(first)).toBe(true);
    expect(await leases.holder('s1')).toEqual({ nodeId: 'node-a', epoch: first.epoch, live: false });
    const second = (await leases.acquire('s1', 'node-b', timings))!;
    expect(second).toMatchObject({ sessionId: 's1', nodeId: 'node-b' });
    expect(second.epoch).toBeGreaterThan(first.epoch);
    // Deleted and created again: the new incarnation's epochs continue, never repeat a token.
    await database.query("DELETE FROM sessions WHERE session_id = 's1'");
    await addSession(database, 's1', '2026-01-02T00:00:00.000Z');
    expect((await leases.acquire('s1', 'node-a', timings))!.epoch).toBeGreaterThan(second.epoch);
    expect(await leases.acquire('missing', 'node-b', timings)).toBeUndefined();
  });

  it('lets an expired lease be taken only after the grace period, and never renews it', async () => {
    const { database } = await open();
    const leases = new PgLeaseStore(database);
    await addSession(database, 's1', '2026-01-01T00:00:00.000Z');
    const taken = (await leases.acquire('s1', 'node-a', timings))!;
    // Expired 500 ms ago: within the 1 s grace, nobody may take it yet; its holder may not renew it either.
    await database.query("UPDATE session_leases SET expires_at = now() - interval '500 milliseconds'");
    expect(await leases.acquire('s1', 'node-b', timings)).toBeUndefined();
    expect(await leases.renew('node-a', ['s1'], timings.leaseMs)).toEqual([]);
    expect(await leases.orphans(timings.graceMs, 10)).toEqual([]);
    await database.query("UPDATE session_leases SET expires_at = now() - interval '1500 milliseconds'");
    expect(await leases.orphans(timings.graceMs, 10)).toEqual([{ sessionId: 's1', createdAt: '2026-01-01T00:00:00.000Z' }]);
    const takenOver = (await leases.acquire('s1', 'node-b', timings))!;
    expect(takenOver.nodeId).toBe('node-b');
    expect(takenOver.epoch).toBeGreaterThan(taken.epoch);
  });

  it('renews the listed unexpired leases of a node in one statement, and only its own', async () => {
    const { database } = await open();
    const leases = new PgLeaseStore(database);
    for (const id of ['a1', 'a2', 'b1']) await addSession(database, id, '2026-01-01T00:00:00.000Z');
    await leases.acquire('a1', 'node-a', timings);
    await leases.acquire('a2', 'node-a', timings);
    await leases.acquire('b1', 'node-b', timings);
    const renewed = await leases.renew('node-a', ['a1', 'a2', 'b1'], 60_000);
    expect(renewed.map((lease) => lease.sessionId).sort()).toEqual(['a1', 'a2']);
    const { rows } = await database.query<{ session_id: string; left_ms: number }>(
      'SELECT session_id, extract(epoch FROM expires_at - now()) * 1000 AS left_ms FROM session_leases ORDER BY session_id',
    );
    expect(rows.map((row) => [row.session_id, Number(row.left_ms) > 30_000])).toEqual([
      ['a1', true],
      ['a2', true],
      ['b1', false],
    ]);
  });

  it('gives a contended lease to exactly one of many nodes claiming at once', async () => {
    const { database, url } = await open();
    await addSession(database, 'hot', '2026-01-01T00:00:00.000Z');
    const nodes = await Promise.all(['n1', 'n2', 'n3', 'n4', 'n5'].map(async () => new PgLeaseStore((await open(url)).database)));
    const results = await Promise.all(nodes.map((leases, index) => leases.acquire('hot', `n${index + 1}`, timings)));
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
  });

  it('lists orphans oldest first: meant to run, and without a live lease', async () => {
    const { database } = await open();
    const leases = new PgLeaseStore(database);
    await addSession(database, 'young', '2026-03-01T00:00:00.000Z');
    await addSession(database, 'old', '2026-01-01T00:00:00.000Z');
    await addSession(database, 'stopped', '2025-01-01T00:00:00.000Z', 'stopped');
    await addSession(database, 'owned', '2025-06-01T00:00:00.000Z');
    const owned = (await leases.acquire('owned', 'node-a', timings))!;
    expect((await leases.orphans(timings.graceMs, 10)).map((orphan) => orphan.sessionId)).toEqual(['old', 'young']);
    expect((await leases.orphans(timings.graceMs, 1)).map((orphan) => orphan.sessionId)).toEqual(['old']);
    expect([...(await leases.liveHolders())]).toEqual([['owned', { nodeId: 'node-a', epoch: owned.epoch }]]);
  });
});

describe('PgNodeStore', () => {
  const report = (nodeId: string, sessions = 0) => ({
    nodeId,
    url: `http://127.0.0.1/${nodeId}`,
    maxSessions: 10,
    sessions,
    freeMemory: 1_000_000,
    leaseMs: 5_000,
  });

  it('lists nodes alive, draining (kept across heartbeats, cleared by a new start) and dead', async () => {
    const { database } = await open();
    const nodes = new PgNodeStore(database);
    await nodes.join(report('a'));
    await nodes.join(report('b'));
    await nodes.join(report('c'));
    expect(await nodes.drain('b')).toBe(true);
    expect(await nodes.drain('nobody')).toBe(false);
    expect(await nodes.heartbeat(report('b', 3))).toBe('draining');
    await database.query("UPDATE nodes SET heartbeat_at = now() - interval '6 seconds' WHERE node_id = 'c'");
    // Load is counted from live leases (a session placed a moment ago counts), not from the last heartbeat.
    await addSession(database, 's1', '2026-01-01T00:00:00.000Z');
    await new PgLeaseStore(database).acquire('s1', 'a', timings);
    const listed = await nodes.list();
    expect(listed.map((node) => [node.nodeId, node.status, node.sessions])).toEqual([
      ['a', 'alive', 1],
      ['b', 'draining', 0],
      ['c', 'dead', 0],
    ]);
    expect(Date.parse(listed[0]!.heartbeatAt)).toBeGreaterThan(Date.now() - 60_000);
    await nodes.join(report('b'));
    await nodes.leave('a');
    expect((await nodes.list()).map((node) => node.status)).toEqual(['dead', 'alive', 'dead']);
  });
});
