/**
 * A webjs session moves to another node through its saved pairing alone: paired on node A (real Chromium,
 * whatsapp-web.js, the WhatsApp Web emulator), packed, saved in PostgreSQL under A's lease, its session dir
 * deleted; node B takes the lease, loads and unpacks into a fresh DATA_DIR and starts it: `ready`, no QR.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sessionDirectory } from '@wsm/ipc-protocol';
import { startEmulator, type Emulator } from '@wsm/wa-web-emulator';
import { type AuthSnapshot, packAuthState, unpackAuthState } from '../src/cluster/auth-snapshot.js';
import { PgAuthStateStore } from '../src/cluster/pg-auth-state-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { json, noOwnedProcesses, recordStatuses, removeDir, startTestApp, tempDataDir, waitForSession, type TestApp } from './helpers.js';
import { testDatabase } from './postgres.js';

const STARTUP_MS = 30_000;
vi.setConfig({ testTimeout: 180_000 });

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ ackDelayMs: 20 });
});
afterAll(async () => {
  await emulator?.close();
});

let database: PostgresDatabase;
let store: PgAuthStateStore;
beforeEach(async () => {
  database = (await PostgresDatabase.open({ connectionString: await testDatabase() })).acquire();
  store = new PgAuthStateStore(database);
});

interface Node {
  test: TestApp;
  dataDir: string;
  /** Closes the app and awaits its processes; once, however often called. */
  close(): Promise<void>;
}

/** The nodes of a test: closed and their data dirs removed after it. */
const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) {
    await node.close();
    removeDir(node.dataDir);
  }
  await database.release();
});

async function startNode(): Promise<Node> {
  const dataDir = tempDataDir();
  const test = await startTestApp(dataDir, {
    DEFAULT_ENGINE: 'webjs',
    CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs),
    HEARTBEAT_TIMEOUT_MS: '15000',
    STOP_TIMEOUT_MS: '5000',
  });
  let closing: Promise<void> | undefined;
  const node = { test, dataDir, close: () => (closing ??= test.close().then(() => noOwnedProcesses(dataDir))) };
  nodes.push(node);
  return node;
}

async function pairedSession(test: TestApp, sessionId: string): Promise<string> {
  expect((await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) })).statusCode).toBe(202);
  await waitForSession(test.app, sessionId, 'qr', STARTUP_MS);
  const { qr } = (await test.app.inject({ url: `/sessions/${sessionId}/qr` })).json();
  const { wid } = await emulator.scan(qr);
  await waitForSession(test.app, sessionId, 'ready', STARTUP_MS);
  return wid;
}

/** The cluster's view of the session: its row, and node `nodeId` holding its lease at `epoch`. */
async function leaseTo(sessionId: string, nodeId: string, epoch: number): Promise<void> {
  await database.query(
    `INSERT INTO sessions (session_id, engine, desired_state, status, created_at, updated_at)
     VALUES ($1, 'webjs', 'running', 'ready', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z') ON CONFLICT DO NOTHING`,
    [sessionId],
  );
  await database.query(
    `INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ($1, $2, $3, now() + interval '1 minute')
     ON CONFLICT (session_id) DO UPDATE SET node_id = excluded.node_id, epoch = excluded.epoch, expires_at = excluded.expires_at`,
    [sessionId, nodeId, epoch],
  );
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round((performance.now() - started) * 10) / 10 };
}

/**
 * Node A saves `snapshot` under its lease and loses the session dir; node B takes the lease, restores and
 * starts the session. Resolves once B's session is ready; fails on any QR.
 */
async function takeOver(sessionId: string, snapshot: AuthSnapshot, packMs: number, wid: string, label: string): Promise<void> {
  await leaseTo(sessionId, 'node-a', 1);
  expect(await store.save(sessionId, snapshot, { nodeId: 'node-a', epoch: 1 })).toBe('saved');
  expect(await store.save(sessionId, snapshot, { nodeId: 'node-a', epoch: 1 })).toBe('unchanged');
  rmSync(sessionDirectory(nodes[0]!.dataDir, sessionId), { recursive: true, force: true });

  await leaseTo(sessionId, 'node-b', 2);
  const b = await startNode();
  const stored = await store.load(sessionId);
  expect(stored).toMatchObject({ sha256: snapshot.sha256, epoch: 1 });
  const target = sessionDirectory(b.dataDir, sessionId);
  const unpack = await timed(() => unpackAuthState(stored!.data, target, 'webjs', { sha256: stored!.sha256 }));
  expect(unpack.value).toEqual({ sha256: snapshot.sha256, bytes: snapshot.bytes, files: snapshot.files });
  // The measurements this test exists to report, next to its result.
  console.log(
    `${label}: ${snapshot.files} files, ${snapshot.bytes} bytes unpacked, ${snapshot.data.length} bytes packed; ` +
      `pack ${packMs} ms, unpack ${unpack.ms} ms`,
  );

  const statuses = recordStatuses(b.test.app, sessionId);
  expect((await b.test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) })).statusCode).toBe(202);
  const ready = await waitForSession(b.test.app, sessionId, (session) => session.status === 'ready' || session.status === 'qr', STARTUP_MS);
  expect(statuses).toEqual(['starting', 'authenticated', 'ready']);
  expect(ready.me?.id).toBe(wid);
}

describe('a webjs session taken over by another node from its saved auth state', () => {
  it('comes back ready without a QR from the snapshot saved after a graceful stop', async () => {
    const a = await startNode();
    const wid = await pairedSession(a.test, 'move-1');
    await a.test.app.inject({ method: 'POST', url: '/sessions/move-1/stop' });
    await waitForSession(a.test.app, 'move-1', 'stopped', STARTUP_MS);
    await noOwnedProcesses(a.dataDir);

    const sessionDir = sessionDirectory(a.dataDir, 'move-1');
    const pack = await timed(() => packAuthState(sessionDir, 'webjs'));
    const snapshot = pack.value!;
    // Nothing changed on disk: the same snapshot, which the store will not write again.
    expect((await packAuthState(sessionDir, 'webjs'))!.sha256).toBe(snapshot.sha256);
    await takeOver('move-1', snapshot, pack.ms, wid, 'snapshot after a graceful stop');
  });

  it('comes back ready without a QR from a snapshot copied while the browser ran', async () => {
    const a = await startNode();
    const wid = await pairedSession(a.test, 'move-2');
    const pack = await timed(() => packAuthState(sessionDirectory(a.dataDir, 'move-2'), 'webjs'));
    // Node A goes away (its browser must not outlive it on the same account).
    await a.close();
    await takeOver('move-2', pack.value!, pack.ms, wid, 'snapshot of a running browser');
  });
});
