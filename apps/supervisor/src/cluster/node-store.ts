/**
 * The cluster's members, as `GET /nodes` shows them. A node writes its own row at every heartbeat (its URL,
 * capacity and load); whether it is alive is the database's judgement: a heartbeat younger than the node's
 * lease. `draining` is set by anyone (`POST /nodes/:nodeId/drain`) and kept by the node's heartbeats until it
 * starts again.
 */
export type NodeStatus = 'alive' | 'draining' | 'dead';

export interface NodeReport {
  nodeId: string;
  url: string;
  maxSessions: number;
  /** Sessions this node runs now (as it reports it; `list` counts its live leases instead). */
  sessions: number;
  /** Bytes of memory free on the node's machine (`os.freemem()`). */
  freeMemory: number;
  leaseMs: number;
}

export interface NodeView extends NodeReport {
  status: NodeStatus;
  heartbeatAt: string;
}

export interface NodeStore {
  /** Registers the node at start: alive (a drain of an earlier life is over), heartbeat now. */
  join(report: NodeReport): Promise<void>;
  /** Records the node's load; resolves with its status as the cluster sees it (draining if someone asked). */
  heartbeat(report: NodeReport): Promise<NodeStatus>;
  /** Marks a node draining; false when there is no such node. */
  drain(nodeId: string): Promise<boolean>;
  /** The node handed everything over and exits: dead at once, not after its lease. */
  leave(nodeId: string): Promise<void>;
  list(): Promise<NodeView[]>;
}
