/**
 * Supervisors as nodes of one cluster (the shape of apps/supervisor/test/cluster-nodes.ts): each with its own
 * DATA_DIR and a fixed port (the others reach it at NODE_URL, http://127.0.0.1:<port> by default), an API key,
 * RATE_LIMIT=0, LOG_LEVEL=info (its default), simulated engine. A node can be killed (-9), stopped (SIGTERM: it hands its sessions
 * over) and started again as the same node. Its workers are killed on exit even when the node itself was killed
 * first (cleanup.mjs, by the owner mark they carry).
 */
import { join } from 'node:path';
import { ownMarked } from './cleanup.mjs';
import { jsonClient } from './http.mjs';
import { pidsWithEnv } from './proc.mjs';
import { spawnSupervisor } from './supervisor-process.mjs';

export const API_KEY = 'bench-cluster-key';
export const AUTH = { 'x-api-key': API_KEY };

/**
 * Starts node `nodeId` of the cluster on `databaseUrl` (without one: a single supervisor on SQLite, set up alike);
 * resolves once it answers. `again` is an earlier life of the node: the same DATA_DIR and port.
 */
export async function startNode({ dir, nodeId, databaseUrl, leaseMs, env = {}, again, profile = false, profileDir }) {
  const dataDir = again?.dataDir ?? join(dir, `${nodeId}-data`);
  ownMarked(dataDir);
  const cluster = databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl, NODE_ID: nodeId, LEASE_MS: String(leaseMs) };
  const server = await spawnSupervisor({ dataDir, port: again?.port, env: { API_KEY, ...cluster, ...env }, profile, profileDir });
  await server.serving;
  const client = jsonClient(server.base, { maxSockets: 8, headers: AUTH });
  const node = {
    ...server,
    nodeId,
    dataDir,
    client,
    /** Its workers still alive (they outlive a node killed with -9 until their lease deadline). */
    workers: () => pidsWithEnv(`WSM_OWNER=${dataDir}`),
    kill: async () => {
      client.close();
      await server.stop('SIGKILL');
    },
    /** Gone at once, workers included (the end of a part: nothing to hand over). */
    destroy: async () => {
      await node.kill();
      for (const pid of node.workers()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    },
    /** SIGTERM; resolves with how long the node took to exit (it hands every session over first). */
    stop: async () => {
      client.close();
      const sent = performance.now();
      server.child.kill('SIGTERM');
      const [code, signal] = await server.exited;
      if (code !== 0) throw new Error(`${nodeId} exited with ${signal ?? code} on SIGTERM`);
      return performance.now() - sent;
    },
    /** The same node again: same NODE_ID, DATA_DIR and port. */
    restart: (options = {}) => startNode({ dir, nodeId, databaseUrl, leaseMs, env, again: node, ...options }),
  };
  return node;
}

/** GET /nodes until `count` nodes are alive (a node joins at its first round). */
export async function nodesAlive(client, count, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = (await client.call('GET', '/nodes')).filter((node) => node.status === 'alive').length;
    if (alive === count) return;
    if (Date.now() > deadline) throw new Error(`${alive} of ${count} nodes alive after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
