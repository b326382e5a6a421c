/** NodeStore on PostgreSQL (node-store.ts). */
import type { PostgresDatabase } from '../store/postgres.js';
import type { NodeReport, NodeStatus, NodeStore, NodeView } from './node-store.js';

interface Row {
  node_id: string;
  url: string;
  status: NodeStatus;
  max_sessions: number;
  sessions: number;
  free_memory: string;
  lease_ms: number;
  heartbeat_at: Date;
}

/** Dead once the heartbeat is older than the node's own lease, whatever its row says. */
const STATUS = "CASE WHEN heartbeat_at + lease_ms * interval '1 millisecond' < now() THEN 'dead' ELSE status END";

const values = (report: NodeReport): unknown[] => [
  report.nodeId,
  report.url,
  report.maxSessions,
  report.sessions,
  report.freeMemory,
  report.leaseMs,
];

export class PgNodeStore implements NodeStore {
  readonly #db: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#db = database.acquire();
  }

  async join(report: NodeReport): Promise<void> {
    await this.#db.query(
      `INSERT INTO nodes (node_id, url, status, max_sessions, sessions, free_memory, lease_ms, started_at, heartbeat_at)
       VALUES ($1, $2, 'alive', $3, $4, $5, $6, now(), now())
       ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, status = 'alive', max_sessions = excluded.max_sessions,
         sessions = excluded.sessions, free_memory = excluded.free_memory, lease_ms = excluded.lease_ms,
         started_at = now(), heartbeat_at = now()`,
      values(report),
    );
  }

  async heartbeat(report: NodeReport): Promise<NodeStatus> {
    // A node that was declared dead and still runs comes back alive: its leases decide what it may run.
    const { rows } = await this.#db.query<{ status: NodeStatus }>(
      `INSERT INTO nodes (node_id, url, status, max_sessions, sessions, free_memory, lease_ms)
       VALUES ($1, $2, 'alive', $3, $4, $5, $6)
       ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, max_sessions = excluded.max_sessions,
         sessions = excluded.sessions, free_memory = excluded.free_memory, lease_ms = excluded.lease_ms,
         heartbeat_at = now()
       RETURNING status`,
      values(report),
    );
    return rows[0]?.status ?? 'alive';
  }

  async drain(nodeId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query("UPDATE nodes SET status = 'draining' WHERE node_id = $1", [nodeId]);
    return rowCount === 1;
  }

  async leave(nodeId: string): Promise<void> {
    await this.#db.query("UPDATE nodes SET heartbeat_at = to_timestamp(0) WHERE node_id = $1", [nodeId]);
  }

  async list(): Promise<NodeView[]> {
    const { rows } = await this.#db.query<Row>(
      // Sessions counted from the live leases, not the last heartbeat: placement must see a session placed a
      // moment ago, or a burst of creations would all land on the same node.
      `SELECT node_id, url, ${STATUS} AS status, max_sessions, free_memory, lease_ms, heartbeat_at,
         (SELECT count(*)::int FROM session_leases l WHERE l.node_id = nodes.node_id AND l.expires_at > now()) AS sessions
       FROM nodes ORDER BY node_id`,
    );
    return rows.map((row) => ({
      nodeId: row.node_id,
      url: row.url,
      status: row.status,
      maxSessions: row.max_sessions,
      sessions: row.sessions,
      freeMemory: Number(row.free_memory),
      leaseMs: row.lease_ms,
      heartbeatAt: row.heartbeat_at.toISOString(),
    }));
  }

  async close(): Promise<void> {
    await this.#db.release();
  }
}
