/** A member of the cluster as GET /nodes shows it (cluster/node-store.ts keeps the rows). */
import { Type, type Static } from '@sinclair/typebox';

export const NodeId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: "A node's NODE_ID" });

export const ClusterNodeView = Type.Object(
  {
    nodeId: NodeId,
    url: Type.String({ description: 'Where the other nodes reach it (NODE_URL)' }),
    status: Type.Unsafe<'alive' | 'draining' | 'dead'>({
      type: 'string',
      enum: ['alive', 'draining', 'dead'],
      description:
        '`alive`: renews its leases and takes new sessions; `draining`: hands its sessions over and takes none; `dead`: no heartbeat for LEASE_MS (its sessions move), or it left',
    }),
    sessions: Type.Integer({ minimum: 0, description: 'Sessions it runs' }),
    maxSessions: Type.Integer({ minimum: 0, description: 'Its MAX_SESSIONS' }),
    heartbeatAt: Type.String({ format: 'date-time', description: 'Its last heartbeat, by the database clock' }),
  },
  { title: 'Node', description: 'One supervisor of the cluster' },
);
export type ClusterNodeView = Static<typeof ClusterNodeView>;

export const NodeParams = Type.Object({ nodeId: NodeId });
