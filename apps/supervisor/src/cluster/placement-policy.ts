/**
 * Where sessions run in a cluster, as pure decisions over a snapshot of the nodes (GET /nodes' rows):
 * a new session goes to the live node with the most free slots (MAX_SESSIONS minus what it runs), then the most
 * free memory; sessions without a live owner (their node died, or left) are shared out the same way, oldest
 * first, so a dead node's sessions spread over the survivors instead of all landing on the first to notice.
 */
import type { NodeView } from './node-store.js';
import type { OrphanSession } from './lease-store.js';

export type NodeLoad = Pick<NodeView, 'nodeId' | 'status' | 'maxSessions' | 'sessions' | 'freeMemory'>;

const freeSlots = (node: NodeLoad): number => node.maxSessions - node.sessions;

/** Best first: most free slots, then most free memory, then the node id (every node sorts alike). */
function byRoom(a: NodeLoad, b: NodeLoad): number {
  return freeSlots(b) - freeSlots(a) || b.freeMemory - a.freeMemory || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);
}

/** The node a new session should run on, or undefined when no live node has a free slot (the cluster is full). */
export function choosePlacement(nodes: readonly NodeLoad[]): string | undefined {
  const candidates = nodes.filter((node) => node.status === 'alive' && freeSlots(node) > 0).sort(byRoom);
  return candidates[0]?.nodeId;
}

/**
 * Shares orphaned sessions (oldest first) among live nodes, one at a time to whichever then has the most room.
 * Every node computes the same answer from the same snapshot and claims only its own share; a claim is atomic
 * in the lease store, so two nodes with different snapshots can at worst both try, and one wins.
 */
export function assignOrphans(orphans: readonly OrphanSession[], nodes: readonly NodeLoad[]): Map<string, string> {
  const load = nodes.filter((node) => node.status === 'alive').map((node) => ({ ...node }));
  const assignment = new Map<string, string>();
  for (const orphan of orphans) {
    const best = load.filter((node) => freeSlots(node) > 0).sort(byRoom)[0];
    if (best === undefined) break;
    assignment.set(orphan.sessionId, best.nodeId);
    best.sessions++;
  }
  return assignment;
}
