/** Auth snapshots in PostgreSQL, written only under a held lease (pg-auth-state-store.ts), on a real server. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PgAuthStateStore } from '../src/cluster/pg-auth-state-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { eventually } from './helpers.js';
import { testDatabase } from './postgres.js';

let database: PostgresDatabase;
let store: PgAuthStateStore;

beforeEach(async () => {
  database = (await PostgresDatabase.open({ connectionString: await testDatabase() })).acquire();
  store = new PgAuthStateStore(database);
  await database.query(
    `INSERT INTO sessions (session_id, engine, desired_state, status, created_at, updated_at)
     VALUES ('s1', 'webjs', 'running', 'ready', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')`,
  );
});
afterEach(async () => {
  await database.release();
});

/** Node `nodeId` holds s1's lease at `epoch`, expiring `expiresIn` from the database's now. */
const lease = (nodeId: string, epoch: number, expiresIn = '30 seconds') =>
  database.query(
    `INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ('s1', $1, $2, now() + $3::interval)
     ON CONFLICT (session_id) DO UPDATE SET node_id = excluded.node_id, epoch = excluded.epoch, expires_at = excluded.expires_at`,
    [nodeId, epoch, expiresIn],
  );

const snapshot = (text: string) => ({ data: Buffer.from(text), sha256: text.padEnd(64, '0') });

/** The stored row and its version (xmin changes with every write of the row). */
const row = async () =>
  (await database.query<{ data: Buffer; epoch: string; xmin: string }>("SELECT data, epoch, xmin FROM auth_state WHERE session_id = 's1'")).rows[0];

describe('PgAuthStateStore', () => {
  it('saves under the held lease, loads it back, and skips an unchanged snapshot without writing', async () => {
    await lease('a', 1);
    expect(await store.load('s1')).toBeUndefined();
    expect(await store.save('s1', snapshot('one'), { nodeId: 'a', epoch: 1 })).toBe('saved');
    expect(await store.load('s1')).toEqual({ data: Buffer.from('one'), sha256: snapshot('one').sha256, epoch: 1 });

    const written = await row();
    expect(await store.save('s1', snapshot('one'), { nodeId: 'a', epoch: 1 })).toBe('unchanged');
    expect((await row())!.xmin).toBe(written!.xmin);

    await lease('b', 2);
    expect(await store.save('s1', snapshot('two'), { nodeId: 'b', epoch: 2 })).toBe('saved');
    expect(await store.load('s1')).toEqual({ data: Buffer.from('two'), sha256: snapshot('two').sha256, epoch: 2 });
  });

  it('refuses a former owner, another node, an expired lease and a session without one', async () => {
    const fenced = async (fence: { nodeId: string; epoch: number }) => {
      expect(await store.save('s1', snapshot('stale'), fence)).toBe('fenced');
    };
    await fenced({ nodeId: 'a', epoch: 1 }); // no lease at all
    await lease('a', 1);
    await store.save('s1', snapshot('one'), { nodeId: 'a', epoch: 1 });

    await lease('b', 2);
    await fenced({ nodeId: 'a', epoch: 1 }); // the former owner, at its old epoch
    await fenced({ nodeId: 'b', epoch: 1 }); // the right node at a stale epoch
    await fenced({ nodeId: 'a', epoch: 2 }); // another node at the current epoch
    await lease('b', 2, '-1 second');
    await fenced({ nodeId: 'b', epoch: 2 }); // expired by the database's clock
    expect(await store.load('s1')).toMatchObject({ data: Buffer.from('one'), epoch: 1 });
  });

  it('refuses a save that meets a takeover in progress, once the takeover commits', async () => {
    await lease('a', 1);
    const takeover = await database.pool.connect();
    try {
      await takeover.query('BEGIN');
      await takeover.query("UPDATE session_leases SET node_id = 'b', epoch = 2 WHERE session_id = 's1'");
      const saving = store.save('s1', snapshot('late'), { nodeId: 'a', epoch: 1 });
      // The save's lease check waits on the row the takeover holds.
      await eventually(async () => {
        const { rows } = await database.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO auth_state%'");
        return rows.length === 1;
      }, 10_000, 'the save to wait for the lease row');
      await takeover.query('COMMIT');
      expect(await saving).toBe('fenced');
    } finally {
      takeover.release();
    }
    expect(await store.load('s1')).toBeUndefined();
  });

  it('deletes under a held lease only, or unconditionally without a fence; the session takes its auth state with it', async () => {
    await lease('a', 1);
    await store.save('s1', snapshot('one'), { nodeId: 'a', epoch: 1 });
    expect(await store.delete('s1', { nodeId: 'b', epoch: 1 })).toBe('fenced');
    expect(await store.load('s1')).toBeDefined();
    expect(await store.delete('s1', { nodeId: 'a', epoch: 1 })).toBe('deleted');
    expect(await store.load('s1')).toBeUndefined();

    await store.save('s1', snapshot('two'), { nodeId: 'a', epoch: 1 });
    expect(await store.delete('s1')).toBe('deleted');
    expect(await store.load('s1')).toBeUndefined();

    await store.save('s1', snapshot('three'), { nodeId: 'a', epoch: 1 });
    await database.query("DELETE FROM sessions WHERE session_id = 's1'");
    expect(await store.load('s1')).toBeUndefined();
  });
});
