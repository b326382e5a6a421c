/**
 * Supervisor processes as nodes of one cluster, for the cluster tests: each with its own DATA_DIR and fixed port
 * (other nodes must know its URL), short leases, an API key, as production runs. Killed and cleaned up after
 * each test.
 */
import { afterEach } from 'vitest';
import { ownedPids, removeDir, tempDataDir } from './helpers.js';
import { freePort } from './postgres-server.js';
import { startSupervisor, type SupervisorProcess } from './supervisor-process.js';

export const LEASE_MS = 5_000;
export const API_KEY = 'cluster-test-key';


export interface Node extends SupervisorProcess {
  nodeId: string;
  dataDir: string;
  port: number;
  /** SIGTERM (it must exit 0), then the same node again: same NODE_ID, DATA_DIR and port. */
  restart(): Promise<Node>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
}

const started: Node[] = [];
afterEach(async () => {
  for (const node of started.splice(0)) {
    if (node.child.exitCode === null && node.child.signalCode === null) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    // Its workers (and their Chromium) outlive a SIGKILLed supervisor until their lease deadline: end them, and
    // wait until none is left writing into the directory before removing it.
    for (let round = 0; round < 50 && ownedPids(node.dataDir).length > 0; round++) {
      for (const pid of ownedPids(node.dataDir)) process.kill(pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    removeDir(node.dataDir);
  }
});

export async function startNode(
  databaseUrl: string,
  nodeId: string,
  env: Record<string, string> = {},
  /** A node coming back: the same DATA_DIR and port as before. */
  reuse?: Pick<Node, 'dataDir' | 'port'>,
): Promise<Node> {
  const dataDir = reuse?.dataDir ?? tempDataDir();
  const port = reuse?.port ?? (await freePort());
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
    port,
    restart: async () => {
      node.child.kill('SIGTERM');
      const exit = await node.exited;
      if (exit.code !== 0) throw new Error(`${nodeId} exited with ${exit.code ?? exit.signal} on SIGTERM`);
      return startNode(databaseUrl, nodeId, env, { dataDir, port });
    },
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
