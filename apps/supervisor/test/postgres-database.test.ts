/** The PostgreSQL store's foundation on a real server: migrations under a lock, as a role without superuser rights. */
import { describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../src/store/postgres.js';
import { MIGRATIONS } from '../src/store/postgres-schema.js';
import { testDatabase } from './postgres.js';

describe('PostgresDatabase', () => {
  it('migrates once when several nodes open the same database at the same moment', async () => {
    const url = await testDatabase();
    const nodes = await Promise.all([1, 2, 3].map(() => PostgresDatabase.open({ connectionString: url })));
    const { rows } = await nodes[0]!.query<{ version: number }>("SELECT version FROM schema_versions WHERE component = 'wsm'");
    expect(rows).toEqual([{ version: MIGRATIONS.length }]);
    const { rows: role } = await nodes[0]!.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    expect(role).toEqual([{ rolsuper: false }]);
    for (const node of nodes) await node.acquire().release();
  });

  it('rolls a transaction back when its work throws', async () => {
    const database = await PostgresDatabase.open({ connectionString: await testDatabase() });
    database.acquire();
    await expect(
      database.transaction(async (client) => {
        await client.query(`INSERT INTO nodes (node_id, url, status, max_sessions, lease_ms) VALUES ('a', 'http://a', 'alive', 1, 5000)`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await database.query('SELECT * FROM nodes')).rowCount).toBe(0);
    await database.release();
  });
});

describe('appending events', () => {
  it('numbers a batch in order, with cursors that compare in stream order', async () => {
    const { appendPgEvents } = await import('../src/events/pg-events.js');
    const database = await PostgresDatabase.open({ connectionString: await testDatabase() });
    database.acquire();
    const event = (id: string) => {
      const envelope = { id, type: 'session.status' as const, sessionId: 's', timestamp: new Date().toISOString(), data: {} };
      return { envelope, body: JSON.stringify(envelope), targets: [{ url: 'http://127.0.0.1:9/a', claimed: true }, { url: 'http://127.0.0.1:9/b', claimed: false }] };
    };
    const claim = { owner: 'n1/x', untilMs: Date.now() + 60_000 };
    const first = await database.transaction((client) => appendPgEvents(client, [event('01A'), event('01B'), event('01C')], claim));
    const second = await database.transaction((client) => appendPgEvents(client, [event('01D')], claim));
    const cursors = [...first, ...second].map((appended) => appended.cursor);
    expect([...cursors].sort()).toEqual(cursors);
    const { rows } = await database.query<{ id: string; status: string; claimed_by: string | null }>(
      'SELECT e.id, d.status, d.claimed_by FROM deliveries d JOIN events e ON e.seq = d.event_seq ORDER BY e.seq, d.target',
    );
    expect(rows.slice(0, 2)).toEqual([
      { id: '01A', status: 'sending', claimed_by: 'n1/x' },
      { id: '01A', status: 'pending', claimed_by: null },
    ]);
    expect(rows.map((row) => row.id)).toEqual(['01A', '01A', '01B', '01B', '01C', '01C', '01D', '01D']);
    await database.release();
  });
});
