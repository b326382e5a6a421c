/**
 * Cluster mode with real processes: three supervisors on one real PostgreSQL, simulated sessions. Sessions are
 * spread, any node answers for any session, events are one stream across nodes, a node killed with -9 loses
 * nothing (its sessions are ready elsewhere without a QR), and a node stopped with SIGTERM hands over at once.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ownedPids, removeDir, tempDataDir } from './helpers.js';
import { testDatabase } from './postgres.js';
import { startSupervisor, waitForRemoteSession, type SupervisorProcess } from './supervisor-process.js';

const LEASE_MS = 5_000;
const API_KEY = 'cluster-test-key';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

interface Node extends SupervisorProcess {
  nodeId: string;
  dataDir: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
}

const started: Node[] = [];
afterEach(async () => {
  for (const node of started.splice(0)) {
    if (node.child.exitCode === null && node.child.signalCode === null) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    for (const pid of ownedPids(node.dataDir)) process.kill(pid, 'SIGKILL');
    removeDir(node.dataDir);
  }
});

async function startNode(databaseUrl: string, nodeId: string, env: Record<string, string> = {}): Promise<Node> {
  const dataDir = tempDataDir();
  const port = await freePort();
  const process = await startSupervisor(dataDir, {
    DATABASE_URL: databaseUrl,
    NODE_ID: nodeId,
    PORT: String(port),
    LEASE_MS: String(LEASE_MS),
    API_KEY,
    RATE_LIMIT: '0',
    LOG_LEVEL: 'info',
    ...env,
  });
  const node: Node = {
    ...process,
    nodeId,
    dataDir,
    async call(method, path, body, headers = {}) {
      const response = await fetch(`${process.url}${path}`, {
        method,
        headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    request: async (method, path, body) => {
      const { status, body: answer } = await node.call(method, path, body);
      return { status, body: answer };
    },
  };
  started.push(node);
  return node;
}

const until = async <T>(what: () => Promise<T | undefined>, timeoutMs: number, label: string): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('cluster mode', () => {
  it('spreads sessions, answers for any session on any node, and moves a killed node\'s sessions without a QR', async () => {
    const databaseUrl = await testDatabase();
    const nodes = [await startNode(databaseUrl, 'n1'), await startNode(databaseUrl, 'n2'), await startNode(databaseUrl, 'n3')];
    const [n1, n2, n3] = nodes as [Node, Node, Node];
    await until(async () => ((await n1.call('GET', '/nodes')).body.filter((node: any) => node.status === 'alive').length === 3 ? true : undefined), 10_000, 'three nodes alive');

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
    const listed = (await n2.call('GET', '/nodes')).body;
    expect(listed.map((node: any) => [node.nodeId, node.status, node.sessions])).toEqual([
      ['n1', 'alive', 2],
      ['n2', 'alive', 2],
      ['n3', 'alive', 2],
    ]);

    // A send through a node that does not run the session, under an idempotency key, retried through another.
    const victim = [...placed].find(([, node]) => node === 'n2')![0];
    const sent = await n1.call('POST', `/sessions/${victim}/messages`, { to: '15550002222', text: 'hi' }, { 'idempotency-key': 'k-1' });
    expect(sent.status).toBe(201);
    const again = await n3.call('POST', `/sessions/${victim}/messages`, { to: '15550002222', text: 'hi' }, { 'idempotency-key': 'k-1' });
    expect(again.body).toEqual(sent.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

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
    // The idempotency key holds across the failover: the first result again, nothing sent twice.
    const afterFailover = await n3.call('POST', `/sessions/${victim}/messages`, { to: '15550002222', text: 'hi' }, { 'idempotency-key': 'k-1' });
    expect(afterFailover.body).toEqual(sent.body);
    expect((await n1.call('GET', '/nodes')).body.find((node: any) => node.nodeId === 'n2').status).toBe('dead');
  });
});
