/**
 * Who holds a claim on webhook deliveries: an owner id `<node>/<instance>`. The node id names one supervisor and
 * stays the same across its restarts; one process at a time runs as a node (on one machine the data-dir lock sees
 * to it, in a cluster the node's configuration). The instance id is new in every process, so a claim left by an
 * earlier life of the node is never mistaken for one of this process, and a late outcome from it is refused.
 */
import { randomUUID } from 'node:crypto';

/** The node id of the one supervisor of a DATA_DIR, until nodes are configured. */
export const LOCAL_NODE = 'local';

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface ClaimOwner {
  node: string;
  /** `<node>/<instance>`: what the outbox records as the claim's holder. */
  id: string;
}

export function newClaimOwner(node: string = LOCAL_NODE, instance: string = randomUUID()): ClaimOwner {
  // No '/' in a node id: the owner ids of one node must share a prefix that no other node's ids have.
  if (!NODE_ID.test(node)) throw new TypeError(`node id ${JSON.stringify(node)}: 1 to 64 letters, digits, '.', '_' or '-'`);
  return { node, id: `${node}/${instance}` };
}

/** What every owner id of `node` starts with. */
export const ownerPrefix = (node: string): string => `${node}/`;
