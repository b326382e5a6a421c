/**
 * Cluster mode with real processes: three supervisors on one real PostgreSQL, simulated sessions. Sessions are
 * spread, any node answers for any session, events are one stream across nodes, a node killed with -9 loses
 * nothing (its sessions are ready elsewhere without a QR), and a node stopped with SIGTERM hands over at once.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgSessionStore } from '../src/store/pg-session-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { readFileSync } from 'node:fs';
import { eventually, mediaFixture, ownedPids } from './helpers.js';
import { testDatabase } from './postgres.js';
import { startPostgres } from './postgres-server.js';
import { openEventStream } from './sse-client.js';
import { startTcpProxy } from './tcp-proxy.js';
import { waitForRemoteSession } from './supervisor-process.js';

import { LEASE_MS, API_KEY, startNode, type Node } from './cluster-nodes.js';

const JPEG = readFileSync(mediaFixture('image.jpg'));

describe('cluster mode', () => {
  it('spreads sessions, answers for any session on any node, and moves a killed node\'s sessions without a QR', async () => {
    const databaseUrl = await testDatabase();
    const nodes = [await startNode(databaseUrl, 'n1'), await startNode(databaseUrl, 'n2'), await startNode(databaseUrl, 'n3')];
    const [n1, n2, n3] = nodes as [Node, Node, Node];
    await eventually(async () => ((await n1.call('GET', '/nodes')).body.filter((node: any) => node.status === 'alive').length === 3 ? true : undefined), 10_000, 'three nodes alive');

    // Created through one node, placed on the nodes with the most room.
    const ids = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
    for (const sessionId of ids) expect((await n1.call('POST', '/sessions', { sessionId })).status).toBe(201);
    for (const sessionId of ids) {
      await waitForRemoteSession(n2, sessionId, (session) => session.status === 'qr');
      // The scan goes to whichever node runs it, whichever node is asked.
      expect((await n3.call('POST', `/sessions/${sessionId}/simulate/scan`)).body.status).toBe('ready');
    }
    const placed = new Map<string, string>();
    for (const sessionId of ids) placed.set(sessionId, (await n1.call('GET', `/sessions/${sessionId}`)).body.node);
    expect(new Set(placed.values())).toEqual(new Set(['n1', 'n2', 'n3']));
    // Each node's load as its heartbeats report it (one renewal period behind at most).
    await eventually(
      async () => {
        const listed = (await n2.call('GET', '/nodes')).body.map((node: any) => `${node.nodeId}:${node.status}:${node.sessions}`);
        return listed.join(' ') === 'n1:alive:2 n2:alive:2 n3:alive:2' ? true : undefined;
      },
      10_000,
      'the nodes to report their load',
    );

    // A send through a node that does not run the session, under an idempotency key, retried through another.
    const victim = [...placed].find(([, node]) => node === 'n2')![0];
    const sent = await n1.call('POST', `/sessions/${victim}/messages`, { to: '15550002222', text: 'hi' }, { 'idempotency-key': 'k-1' });
    expect(sent.status).toBe(201);
    const again = await n3.call('POST', `/sessions/${victim}/messages`, { to: '15550002222', text: 'hi' }, { 'idempotency-key': 'k-1' });
    expect(again.body).toEqual(sent.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    // A multipart upload through a node that does not run the session is passed on as it came; its bytes come
    // back through a third node.
    const upload = new FormData();
    upload.set('to', '15550002222');
    upload.set('file', new Blob([JPEG], { type: 'image/jpeg' }), 'photo.jpg');
    const uploaded = await fetch(`http://127.0.0.1:${n1.port}/sessions/${victim}/messages`, { method: 'POST', headers: { 'x-api-key': API_KEY }, body: upload });
    expect(uploaded.status).toBe(201);
    const photo = (await uploaded.json()) as { id: string; type: string };
    expect(photo.type).toBe('image');
    const media = await fetch(`http://127.0.0.1:${n3.port}/sessions/${victim}/messages/${encodeURIComponent(photo.id)}/media`, { headers: { 'x-api-key': API_KEY } });
    expect([media.status, media.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    expect(Buffer.from(await media.arrayBuffer()).equals(JPEG)).toBe(true);

    // kill -9 of n2: its sessions come back on n1 and n3, ready without a scan, within the lease and grace.
    const moved = [...placed].filter(([, node]) => node === 'n2').map(([sessionId]) => sessionId);
    const killedAt = Date.now();
    n2.child.kill('SIGKILL');
    await n2.exited;
    for (const sessionId of moved) {
      const session = await waitForRemoteSession(n1, sessionId, (view) => view.status === 'ready' && view.node !== 'n2' && view.node !== null, 30_000);
      expect(['n1', 'n3']).toContain(session.node);
    }
    const movedAfterMs = Date.now() - killedAt;
    expect(movedAfterMs).toBeGreaterThanOrEqual(LEASE_MS);
    console.log(`kill -9: ${moved.length} sessions ready elsewhere ${movedAfterMs} ms after the kill (LEASE_MS ${LEASE_MS})`);
    // The idempotency key holds across the failover: the first result again, nothing sent twice.
    const afterFailover = await n3.call('POST', `/sessions/${victim}/messages`, { to: '15550002222', text: 'hi' }, { 'idempotency-key': 'k-1' });
    expect(afterFailover.body).toEqual(sent.body);
    expect((await n1.call('GET', '/nodes')).body.find((node: any) => node.nodeId === 'n2').status).toBe('dead');

    // What the outbox recorded after the kill: the moved sessions went stopped → starting → … → ready, never
    // through a QR (their pairing came from the database), and no event was written twice.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ id: string; session_id: string; type: string; status: string | null }>(
      `SELECT id, session_id, type, envelope::jsonb -> 'data' ->> 'status' AS status FROM events WHERE created_ms >= $1 ORDER BY id`,
      [killedAt],
    );
    await db.end();
    for (const sessionId of moved) {
      const mine = rows.filter((row) => row.session_id === sessionId);
      expect(mine.some((row) => row.type === 'session.qr')).toBe(false);
      expect(mine.filter((row) => row.type === 'session.status').map((row) => row.status)).toContain('ready');
      expect(mine.map((row) => row.status)).not.toContain('qr');
    }
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
  });

  it('hands a SIGTERMed node\'s sessions over at once, and refuses starts once every node is full', async () => {
    const databaseUrl = await testDatabase();
    const n1 = await startNode(databaseUrl, 'n1', { MAX_SESSIONS: '2' });
    const n2 = await startNode(databaseUrl, 'n2', { MAX_SESSIONS: '2' });
    await eventually(async () => ((await n1.call('GET', '/nodes')).body.length === 2 ? true : undefined), 10_000, 'two nodes');
    for (const sessionId of ['t0', 't1', 't2', 't3']) {
      expect((await n1.call('POST', '/start-session', { sessionId })).status).toBe(202);
      await waitForRemoteSession(n1, sessionId, (session) => session.status === 'qr');
      await n2.call('POST', `/sessions/${sessionId}/simulate/scan`);
    }
    // Two nodes of two: the fifth start has nowhere to go.
    const refused = await n2.call('POST', '/start-session', { sessionId: 't4' });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('WSM_TOO_MANY_SESSIONS');

    // A third node joins; n1 leaves with SIGTERM: its two sessions go to n3 (n2 is full), sooner than a lease.
    const n3 = await startNode(databaseUrl, 'n3', { MAX_SESSIONS: '2' });
    const onN1 = (await n2.call('GET', '/sessions')).body.filter((session: any) => session.node === 'n1').map((session: any) => session.sessionId);
    expect(onN1).toHaveLength(2);
    const stoppedAt = Date.now();
    n1.child.kill('SIGTERM');
    expect((await n1.exited).code).toBe(0);
    for (const sessionId of onN1) {
      await waitForRemoteSession(n3, sessionId, (session) => session.status === 'ready' && session.node === 'n3', 20_000);
    }
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_MS);
    console.log(`SIGTERM: 2 sessions ready on another node ${Date.now() - stoppedAt} ms after the signal`);
    expect((await n3.call('GET', '/nodes')).body.find((node: any) => node.nodeId === 'n1').status).toBe('dead');
  });

  it('fences a paused node: its workers end before its leases expire, its late writes are refused, and it rejoins', async () => {
    const databaseUrl = await testDatabase();
    const n1 = await startNode(databaseUrl, 'n1');
    // A member without room: the sessions start on n1, and move only to n3, which joins later.
    await startNode(databaseUrl, 'n2', { MAX_SESSIONS: '0' });
    for (const sessionId of ['p0', 'p1']) {
      await n1.call('POST', '/start-session', { sessionId });
      await waitForRemoteSession(n1, sessionId, (session) => session.status === 'qr');
      await n1.call('POST', `/sessions/${sessionId}/simulate/scan`);
    }
    const workers = ownedPids(n1.dataDir);
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const held = await admin.query<{ node_id: string; epoch: string }>("SELECT node_id, epoch FROM session_leases WHERE session_id = 'p0'");
    await admin.end();
    expect(held.rows[0]?.node_id).toBe('n1');
    const n1Epoch = Number(held.rows[0]!.epoch);
    // n3 may take sessions from now on; n1 is paused for longer than a lease.
    const n3 = await startNode(databaseUrl, 'n3');
    n1.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    // The workers of the paused node end themselves at their deadline, before the leases expire.
    await eventually(async () => (ownedPids(n1.dataDir).length === 0 ? true : undefined), LEASE_MS, 'the paused node\'s workers to end');
    const workersGoneMs = Date.now() - pausedAt;
    expect(workersGoneMs).toBeLessThan(LEASE_MS);
    for (const sessionId of ['p0', 'p1']) {
      await waitForRemoteSession(n3, sessionId, (session) => session.status === 'ready' && session.node === 'n3', 30_000);
    }
    console.log(`SIGSTOP: the paused node's workers gone after ${workersGoneMs} ms, sessions ready elsewhere after ${Date.now() - pausedAt} ms`);
    n1.child.kill('SIGCONT');
    // Resumed: it learns it lost the leases; whatever it then tries to write about them is refused.
    await eventually(
      async () => (n1.records.some((record) => /lost the lease|no lease renewal in time/.test(String(record.msg))) ? true : undefined),
      10_000,
      'the resumed node to notice',
    );
    await eventually(
      async () => ((await n3.call('GET', '/nodes')).body.find((node: any) => node.nodeId === 'n1')?.status === 'alive' ? true : undefined),
      10_000,
      'n1 to rejoin',
    );
    for (const sessionId of ['p0', 'p1']) expect((await n1.call('GET', `/sessions/${sessionId}`)).body).toMatchObject({ node: 'n3', status: 'ready' });
    // It ended what it still ran on its own, and wrote nothing about them.
    expect(n1.records.filter((record) => record.msg === 'session abandoned by this node').map((record) => record.sessionId).sort()).toEqual(['p0', 'p1']);
    // A write under the lease it held before the pause is refused by the database, whatever the node believes.
    const database = await PostgresDatabase.open({ connectionString: databaseUrl });
    const store = new PgSessionStore(database);
    const row = (await store.get('p0'))!;
    const stale = await store.update('p0', row.version, { status: 'stopped' }, { fence: { nodeId: 'n1', epoch: n1Epoch } });
    expect(stale).toEqual({ ok: false, reason: 'fenced' });
    const current = await database.query<{ node_id: string; epoch: string }>("SELECT node_id, epoch FROM session_leases WHERE session_id = 'p0'");
    expect(current.rows[0]?.node_id).toBe('n3');
    expect(Number(current.rows[0]?.epoch)).toBeGreaterThan(n1Epoch);
    await store.close();
  });

  it('streams every node\'s events on any node, resumes across nodes, and rides out a PostgreSQL restart', async () => {
    // A server of its own: restarting the run's shared one would cut the other test files off.
    const server = await startPostgres();
    try {
      const databaseUrl = await server.createDatabase();
      const n1 = await startNode(databaseUrl, 'n1');
      const n2 = await startNode(databaseUrl, 'n2');
      await eventually(async () => ((await n1.call('GET', '/nodes')).body.length === 2 ? true : undefined), 10_000, 'two nodes');
      for (const sessionId of ['e0', 'e1']) {
        expect((await n1.call('POST', '/start-session', { sessionId })).status).toBe(202);
        await waitForRemoteSession(n1, sessionId, (session) => session.status === 'qr');
        await n1.call('POST', `/sessions/${sessionId}/simulate/scan`);
      }
      const stream = await openEventStream(`${n1.url}/events?types=message.received`, { 'x-api-key': API_KEY });
      const texts: string[] = [];
      const inbound = async (via: Node, sessionId: string, text: string): Promise<void> => {
        // Acknowledged means durable: retried (as a client would) only while the answer is not a 2xx.
        for (let attempt = 0; ; attempt++) {
          const answer = await via.call('POST', `/sessions/${sessionId}/simulate/inbound`, { from: '15550003333', text }).catch(() => undefined);
          if (answer !== undefined && answer.status < 300) break;
          if (attempt > 100) throw new Error(`inbound ${text} never acknowledged: ${JSON.stringify(answer?.body)}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        texts.push(text);
      };
      // Written by whichever node runs each session, asked through either node: one stream on n1 has them all.
      for (let index = 0; index < 6; index++) await inbound(index % 2 === 0 ? n1 : n2, `e${index % 2}`, `before-${index}`);
      await stream.waitFor(6);
      expect(stream.events.map((event) => event.envelope.data.body)).toEqual(texts);
      stream.close();

      // Resumed on the other node from the third event: the three after it, in order, nothing before.
      const third = stream.events[2]!.id;
      const resumed = await openEventStream(`${n2.url}/events?types=message.received`, { 'x-api-key': API_KEY, 'last-event-id': third });
      await resumed.waitFor(3);
      expect(resumed.events.map((event) => event.envelope.data.body)).toEqual(texts.slice(3));
      resumed.close();

      // PostgreSQL restarts (every connection cut): acknowledged messages before, during and after are all
      // there once, and each session still runs on exactly one node.
      const during = inbound(n2, 'e1', 'during-0');
      server.restart();
      await during;
      for (let index = 0; index < 4; index++) await inbound(index % 2 === 0 ? n2 : n1, `e${index % 2}`, `after-${index}`);
      const all = await openEventStream(`${n2.url}/events?types=message.received`, { 'x-api-key': API_KEY, 'last-event-id': stream.events[0]!.id });
      await all.waitFor(texts.length - 1, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      all.close();
      const bodies = all.events.map((event) => event.envelope.data.body);
      expect(bodies.sort()).toEqual(texts.slice(1).sort());
      for (const sessionId of ['e0', 'e1']) {
        await waitForRemoteSession(n1, sessionId, (session) => session.status === 'ready', 30_000);
      }
      const workers = ownedPids(n1.dataDir).length + ownedPids(n2.dataDir).length;
      expect(workers).toBe(2);
    } finally {
      server.stop();
    }
  });

  it('fences a node cut off from PostgreSQL before its leases expire; another runs its sessions, never both at once', async () => {
    const databaseUrl = await testDatabase();
    const direct = new URL(databaseUrl);
    const proxy = await startTcpProxy(Number(direct.port));
    try {
      const viaProxy = new URL(databaseUrl);
      viaProxy.port = String(proxy.port);
      const n1 = await startNode(viaProxy.toString(), 'n1');
      for (const sessionId of ['x0', 'x1']) {
        await n1.call('POST', '/start-session', { sessionId });
        await waitForRemoteSession(n1, sessionId, (session) => session.status === 'qr');
        await n1.call('POST', `/sessions/${sessionId}/simulate/scan`);
      }
      const n2 = await startNode(databaseUrl, 'n2');
      await eventually(async () => ((await n2.call('GET', '/nodes')).body.length === 2 ? true : undefined), 10_000, 'two nodes');
      proxy.blackhole();
      const cutAt = Date.now();
      // n1's workers end (n1 fences itself, and each worker at its own deadline) before its leases can expire.
      await eventually(async () => (ownedPids(n1.dataDir).length === 0 ? true : undefined), LEASE_MS, 'n1 to fence itself');
      const fencedAfterMs = Date.now() - cutAt;
      expect(fencedAfterMs).toBeLessThan(LEASE_MS);
      // n2 takes them over after the leases expired and the grace passed: from then on, only n2 runs them.
      for (const sessionId of ['x0', 'x1']) {
        await waitForRemoteSession(n2, sessionId, (session) => session.status === 'ready' && session.node === 'n2', 30_000);
      }
      expect(Date.now() - cutAt).toBeGreaterThanOrEqual(LEASE_MS);
      console.log(`cut off: workers gone after ${fencedAfterMs} ms, sessions ready elsewhere after ${Date.now() - cutAt} ms`);
      expect(ownedPids(n1.dataDir)).toEqual([]);
      expect(ownedPids(n2.dataDir)).toHaveLength(2);
      expect(n1.records.some((record) => record.msg === 'no lease renewal in time: killing every worker before the leases can expire')).toBe(true);
      // Back in reach, n1 rejoins without taking anything back.
      proxy.restore();
      await eventually(
        async () => ((await n2.call('GET', '/nodes')).body.find((node: any) => node.nodeId === 'n1')?.status === 'alive' ? true : undefined),
        30_000,
        'n1 to rejoin',
      );
      expect(ownedPids(n2.dataDir)).toHaveLength(2);
      expect(ownedPids(n1.dataDir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
