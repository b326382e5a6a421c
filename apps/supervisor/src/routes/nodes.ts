/**
 * The cluster's members (GET /nodes) and draining one (POST /nodes/:nodeId/drain). A single node lists itself
 * as a cluster of one and cannot be drained.
 */
import { Type } from '@sinclair/typebox';
import { Errors } from '../errors.js';
import { reply as documented } from '../schemas/documented.js';
import { API_REFUSALS, refusals } from '../schemas/errors.js';
import { ClusterNodeView, NodeParams } from '../schemas/node.js';
import type { NodeView } from '../cluster/node-store.js';
import type { App } from '../types.js';

const EXAMPLE: ClusterNodeView = {
  nodeId: 'node-a',
  url: 'http://10.0.0.5:3000',
  status: 'alive',
  sessions: 42,
  maxSessions: 60,
  heartbeatAt: '2026-01-15T09:35:00.000Z',
};

const view = ({ nodeId, url, status, sessions, maxSessions, heartbeatAt }: NodeView): ClusterNodeView => ({
  nodeId,
  url,
  status,
  sessions,
  maxSessions,
  heartbeatAt,
});

export async function nodeRoutes(app: App): Promise<void> {
  const { cluster, config } = app;

  app.get(
    '/nodes',
    {
      schema: {
        tags: ['cluster'],
        operationId: 'listNodes',
        summary: "The cluster's nodes",
        description:
          'Every supervisor that shares this one\'s database, with its load and whether it is alive (judged by the database clock: a node silent for LEASE_MS is dead). A single node (no DATABASE_URL) lists itself.',
        response: {
          200: documented(Type.Array(ClusterNodeView), 'The nodes, by id', { example: [EXAMPLE] }),
          ...refusals(...API_REFUSALS),
        },
      },
    },
    async () => {
      if (cluster === undefined) {
        return [
          {
            nodeId: 'local',
            url: `http://${config.host}:${config.port}`,
            status: 'alive' as const,
            sessions: app.sessions.runningHere(),
            maxSessions: config.admission.maxSessions,
            heartbeatAt: new Date().toISOString(),
          },
        ];
      }
      return (await cluster.nodes.list()).map(view);
    },
  );

  app.post(
    '/nodes/:nodeId/drain',
    {
      schema: {
        tags: ['cluster'],
        operationId: 'drainNode',
        summary: 'Drain a node',
        description:
          'The node hands every session it runs to the others (each stopped cleanly, its pairing saved, its lease released, so another node starts it at once) and takes no new ones until it restarts. Answers at once; follow the sessions or GET /nodes.',
        params: NodeParams,
        response: {
          202: documented(ClusterNodeView, 'Draining', { example: { ...EXAMPLE, status: 'draining' } }),
          ...refusals(...API_REFUSALS, new Errors.NODE_NOT_FOUND('node-x'), new Errors.NOT_A_CLUSTER()),
        },
      },
    },
    async (request, reply) => {
      if (cluster === undefined) throw new Errors.NOT_A_CLUSTER();
      const { nodeId } = request.params;
      if (nodeId === cluster.node.nodeId) void cluster.handOver();
      else if (!(await cluster.nodes.drain(nodeId))) throw new Errors.NODE_NOT_FOUND(nodeId);
      const node = (await cluster.nodes.list()).find((member) => member.nodeId === nodeId);
      if (node === undefined) throw new Errors.NODE_NOT_FOUND(nodeId);
      return reply.code(202).send(view({ ...node, status: node.status === 'dead' ? 'dead' : 'draining' }));
    },
  );
}
