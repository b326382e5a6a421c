/**
 * Where a session runs now, for routing a request about it: here, on another live node (with its URL), or
 * nowhere (no live lease: stopped, or moving between nodes). Sessions this node holds are answered from
 * memory; the rest with one indexed query, so a request is never routed on a stale snapshot of the cluster.
 */
import type { PostgresDatabase } from '../store/postgres.js';
import type { ClusterNode } from './cluster-node.js';

export type SessionLocation =
  | { at: 'here' }
  | { at: 'node'; nodeId: string; url: string }
  /** No live lease: stopped, or its node died or left and nobody has taken it yet. */
  | { at: 'nowhere' };

export class SessionLocator {
  readonly #node: ClusterNode;
  readonly #db: PostgresDatabase;

  constructor(node: ClusterNode, database: PostgresDatabase) {
    this.#node = node;
    this.#db = database;
  }

  async locate(sessionId: string): Promise<SessionLocation> {
    if (this.#node.mayRun(sessionId)) return { at: 'here' };
    const { rows } = await this.#db.query<{ node_id: string; live: boolean; url: string | null }>(
      `SELECT l.node_id, l.expires_at > now() AS live, n.url
       FROM session_leases l LEFT JOIN nodes n ON n.node_id = l.node_id WHERE l.session_id = $1`,
      [sessionId],
    );
    const row = rows[0];
    // Live by the database but not by this node's account (it just lost or gave it up): nobody to ask.
    if (row === undefined || !row.live || row.node_id === this.#node.nodeId || row.url === null) return { at: 'nowhere' };
    return { at: 'node', nodeId: row.node_id, url: row.url };
  }
}
