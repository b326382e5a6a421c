/**
 * The token an owner writes under: the node holding a session's lease and the lease's epoch. A store that
 * knows leases (PostgreSQL) applies a fenced write only while that lease is still held and unexpired by the
 * database's clock; a paused or cut-off former owner's write is refused (`fenced`), whatever it believes.
 * The embedded store has one node and no leases: it has nothing to check.
 */
export interface Fence {
  nodeId: string;
  epoch: number;
}
