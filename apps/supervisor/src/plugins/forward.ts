/**
 * Cluster mode: any node answers any request about any session. A request about a session that another live
 * node runs is proxied to that node (@fastify/reply-from on undici) and its answer streamed back as it is; a
 * request that would start a session nobody runs goes to the node placement chooses. Everything else (a
 * session nobody runs, reads of the registry, routes marked `config: { anyNode: true }` because they read only the
 * shared database) is served here.
 *
 * At most one hop: a forwarded request carries `x-wsm-forwarded-by`, and a node never forwards such a request
 * again (if it is not the owner after all, the session moved meanwhile: 503 WSM_SESSION_MOVING, retried by the
 * client, routed afresh). Nothing is retried here: a POST may have taken effect before its connection broke.
 * An owner that cannot be reached answers as a session moving, with Retry-After, within a bounded time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import replyFrom from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NodeStore } from '../cluster/node-store.js';
import { choosePlacement } from '../cluster/placement-policy.js';
import type { SessionLocator } from '../cluster/session-locator.js';
import { Errors, MOVING_RETRY_AFTER_SECONDS } from '../errors.js';

export const FORWARDED_BY = 'x-wsm-forwarded-by';

export interface ForwardOptions {
  nodeId: string;
  /**
   * A secret every node has and no client does (derived from DATABASE_URL): the hop header is signed with it, so
   * a client cannot pass a request off as forwarded to skip routing, placement or a drain.
   */
  hopSecret: string;
  locator: SessionLocator;
  nodes: NodeStore;
  /** Connecting to another node takes at most this long before the session counts as moving. */
  connectTimeoutMs: number;
  /**
   * How long the owner may take to answer a request before the session counts as moving: a paused or hung
   * owner still accepts connections (its kernel does), so only a deadline bounds the wait.
   */
  answerTimeoutMs: (request: FastifyRequest) => number;
}

/** Routes that make a session run somewhere: placed on the node with the most room when nobody runs it. */
const STARTS = new Set(['POST /start-session', 'POST /sessions/:sessionId/start', 'POST /sessions/:sessionId/restart']);

function sessionIdOf(request: FastifyRequest): string | undefined {
  const fromParams = (request.params as { sessionId?: unknown } | undefined)?.sessionId;
  if (typeof fromParams === 'string') return fromParams;
  const route = `${request.method} ${request.routeOptions.url}`;
  if (route !== 'POST /sessions' && route !== 'POST /start-session') return undefined;
  const fromBody = (request.body as { sessionId?: unknown } | undefined)?.sessionId;
  return typeof fromBody === 'string' ? fromBody : undefined;
}

function startsSession(request: FastifyRequest): boolean {
  const route = `${request.method} ${request.routeOptions.url}`;
  if (route === 'POST /sessions') return (request.body as { start?: unknown } | undefined)?.start !== false;
  return STARTS.has(route);
}

export async function registerForwarding(app: FastifyInstance, options: ForwardOptions): Promise<void> {
  await app.register(replyFrom, {
    undici: { connect: { timeout: options.connectTimeoutMs } },
    disableRequestLogging: true,
  });

  /** What a hop header proves: that `nodeId`, holding the cluster's secret, forwarded this very request. */
  const sign = (nodeId: string, method: string, url: string): string =>
    createHmac('sha256', options.hopSecret).update(`${nodeId}\n${method}\n${url}`).digest('base64url');
  /** A hop header another node of this cluster wrote for this very request. */
  const forwarded = (request: FastifyRequest): boolean => {
    const header = request.headers[FORWARDED_BY];
    if (typeof header !== 'string') return false;
    const [nodeId, signature] = header.split(' ');
    if (nodeId === undefined || signature === undefined) return false;
    const expected = Buffer.from(sign(nodeId, request.method, request.url));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const forward = (request: FastifyRequest, reply: FastifyReply, nodeId: string, url: string): FastifyReply => {
    request.log.debug({ to: nodeId }, 'forwarding to the node that runs the session');
    // A multipart upload (a media send) is not parsed before its route handler reads it: its unread stream is
    // the body to pass on, byte for byte and never whole in memory, with the client's content-length.
    if (request.headers['content-type']?.startsWith('multipart/') === true) request.body = request.raw;
    return reply.from(`${url}${request.url}`, {
      // The client's Host stays: the owner checks a cookie-authenticated write's Origin against it.
      rewriteRequestHeaders: (_request, headers) => ({
        ...headers,
        ...(request.headers.host === undefined ? {} : { host: request.headers.host }),
        [FORWARDED_BY]: `${options.nodeId} ${sign(options.nodeId, request.method, request.url)}`,
      }),
      // Never again: a request that reached the owner may have changed something before its connection broke.
      retryDelay: () => null,
      timeout: options.answerTimeoutMs(request),
      onError: (failed, { error }) => {
        request.log.warn({ err: error, to: nodeId }, 'the node that runs the session did not answer');
        const moving = new Errors.SESSION_MOVING(sessionIdOf(request) ?? '', `node '${nodeId}' did not answer`);
        void failed.header('retry-after', String(MOVING_RETRY_AFTER_SECONDS));
        void failed
          .code(503)
          .type('application/json; charset=utf-8')
          .send({ statusCode: 503, code: moving.code, error: 'Service Unavailable', message: moving.message });
      },
    });
  };

  // After validation: a malformed request is refused here, by the node that received it.
  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.config.anyNode === true || forwarded(request)) return;
    const sessionId = sessionIdOf(request);
    if (sessionId === undefined) return;
    const location = await options.locator.locate(sessionId);
    if (location.at === 'node') return forward(request, reply, location.nodeId, location.url);
    if (location.at === 'here' || !startsSession(request)) return;
    const members = await options.nodes.list();
    const target = choosePlacement(members);
    if (target === undefined) throw new Errors.CLUSTER_FULL();
    if (target === options.nodeId) return;
    const url = members.find((member) => member.nodeId === target)!.url;
    return forward(request, reply, target, url);
  });
}
