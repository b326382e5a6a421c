/**
 * Session logs in cluster mode, with real processes: two supervisors on one PostgreSQL, a simulated session on
 * the first. Its records are in the database, so the second node shows them (without forwarding the request to
 * the first), and they are still there after a kill -9 of the first moved the session, before the second's own.
 */
import { describe, expect, it } from 'vitest';
import { startNode, type Node } from './cluster-nodes.js';
import { eventually } from './helpers.js';
import { testDatabase } from './postgres.js';
import { waitForRemoteSession } from './supervisor-process.js';

interface Logged {
  time: string;
  msg: string;
  source: string;
  node: string;
}

describe('session logs in cluster mode', () => {
  it("keeps a session's records across a kill -9 of its node: the next node shows the dead node's records, then its own", async () => {
    const databaseUrl = await testDatabase();
    const a = await startNode(databaseUrl, 'a');
    expect((await a.call('POST', '/sessions', { sessionId: 'roamer' })).status).toBe(201);
    await waitForRemoteSession(a, 'roamer', (session) => session.status === 'qr');
    expect((await a.call('POST', '/sessions/roamer/simulate/scan')).body.status).toBe('ready');
    const b = await startNode(databaseUrl, 'b');
    await eventually(async () => ((await b.call('GET', '/nodes')).body.filter((node: any) => node.status === 'alive').length === 2 ? true : undefined), 10_000, 'two nodes alive');
    expect((await b.call('GET', '/sessions/roamer')).body.node).toBe('a');

    // The worker on a logs a connection drop; b reads it from the database within a's flush interval.
    expect((await a.call('POST', '/sessions/roamer/simulate/disconnect')).status).toBe(200);
    const logs = (node: Node) => node.call('GET', '/sessions/roamer/logs?limit=500');
    const beforeKill = await eventually(
      async () => {
        const { body } = await logs(b);
        return (body as Logged[]).some((record) => record.node === 'a' && record.msg === 'simulated connection drop; reconnecting') ? (body as Logged[]) : undefined;
      },
      10_000,
      "a's records to reach the database",
    );
    expect(beforeKill.every((record) => record.node === 'a')).toBe(true);
    expect(beforeKill.some((record) => record.source === 'supervisor' && record.msg === 'session ready')).toBe(true);
    expect(beforeKill.some((record) => record.source === 'worker')).toBe(true);

    a.child.kill('SIGKILL');
    await a.exited;
    // a still holds the lease: a request forwarded to it finds nobody (503), the logs are served by b itself.
    expect((await b.call('GET', '/sessions/roamer')).status).toBe(503);
    const whileMoving = await logs(b);
    expect(whileMoving.status).toBe(200);
    expect(whileMoving.body).toEqual(expect.arrayContaining(beforeKill));

    await waitForRemoteSession(b, 'roamer', (session) => session.status === 'ready' && session.node === 'b', 30_000);
    const after = (await logs(b)).body as Logged[];
    // Everything a wrote that reached the database, then b's own records of taking the session up.
    expect(after.slice(0, beforeKill.length)).toEqual(beforeKill);
    const fromB = after.slice(beforeKill.length).filter((record) => record.node === 'b');
    expect(fromB.some((record) => record.source === 'supervisor' && record.msg === 'session ready')).toBe(true);
    expect(fromB.some((record) => record.source === 'worker')).toBe(true);
    expect(after.map((record) => record.time)).toEqual(after.map((record) => record.time).sort());
    const lastOfA = after.filter((record) => record.node === 'a').at(-1)!;
    expect(after.filter((record) => record.node === 'b').every((record) => record.time >= lastOfA.time)).toBe(true);
  });
});
