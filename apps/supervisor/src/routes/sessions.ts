/** The session lifecycle routes of the contract. */
import { Type } from '@sinclair/typebox';
import { Errors } from '../errors.js';
import { assertWebhookTargets } from '../events/webhook-target.js';
import { ErrorReply } from '../schemas/errors.js';
import { assertMetadataBounds } from '../schemas/metadata.js';
import {
  CreateSessionBody,
  EngineNameEnum,
  Session,
  SessionParams,
  StartSessionBody,
  UpdateSessionBody,
  type WebhookTarget,
} from '../schemas/session.js';
import { pageOf, parseStatuses } from '../session/session-list.js';
import { waitForStatus } from '../session/wait-for-status.js';
import type { App } from '../types.js';

const WAIT_MAX_SECONDS = 120;

const errors = { 400: ErrorReply, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };

export async function sessionRoutes(app: App): Promise<void> {
  const { sessions, config } = app;

  /** What a caller may store with a session, checked before anything is written. */
  const checkSettings = async (settings: { metadata?: Record<string, unknown>; webhooks?: WebhookTarget[] }): Promise<void> => {
    if (settings.metadata !== undefined) assertMetadataBounds(settings.metadata);
    if (settings.webhooks !== undefined) await assertWebhookTargets(settings.webhooks, config.blockPrivateAddresses);
  };

  app.post(
    '/start-session',
    { schema: { tags: ['sessions'], body: StartSessionBody, response: { 200: Session, 202: Session, ...errors } } },
    async (request, reply) => {
      const { sessionId, engine } = request.body;
      const { session, started } = await sessions.startSession(sessionId, engine ?? config.defaultEngine);
      return reply.code(started ? 202 : 200).send(session);
    },
  );

  app.post(
    '/sessions',
    { schema: { tags: ['sessions'], body: CreateSessionBody, response: { 201: Session, ...errors } } },
    async (request, reply) => {
      const { sessionId, engine, start, metadata, webhooks, proxy } = request.body;
      await checkSettings(request.body);
      const session = await sessions.create(
        {
          sessionId,
          engine: engine ?? config.defaultEngine,
          ...(metadata ? { metadata } : {}),
          ...(webhooks ? { webhooks } : {}),
          ...(proxy ? { proxy } : {}),
        },
        start ?? true,
      );
      return reply.code(201).send(session);
    },
  );

  app.get(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.String({ description: 'Only sessions in these statuses, comma-separated' })),
            engine: Type.Optional(EngineNameEnum),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size; without it, every session' })),
            cursor: Type.Optional(Type.String({ maxLength: 128, description: 'The `x-next-cursor` of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Session), 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request, reply) => {
      const { status, engine, limit, cursor } = request.query;
      const page = pageOf(sessions.list(), {
        ...(status === undefined ? {} : { statuses: parseStatuses(status, 'querystring.status') }),
        ...(engine === undefined ? {} : { engine }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      reply.header('x-total-count', String(page.total));
      if (page.next !== undefined) {
        const next = new URLSearchParams({ ...(request.query as Record<string, string>), limit: String(limit), cursor: page.next });
        reply.header('x-next-cursor', page.next).header('link', `</sessions?${next.toString()}>; rel="next"`);
      }
      return page.items;
    },
  );

  app.get(
    '/sessions/:sessionId',
    {
      schema: {
        tags: ['sessions'],
        params: SessionParams,
        querystring: Type.Object(
          {
            wait: Type.Optional(
              Type.String({ description: 'Answer once the session is in one of these statuses, comma-separated (e.g. `qr,ready`)' }),
            ),
            timeout: Type.Optional(
              Type.Integer({ minimum: 1, maximum: WAIT_MAX_SECONDS, default: 30, description: 'Seconds to wait at most' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Session, ...errors },
      },
    },
    async (request) => {
      const { wait, timeout = 30 } = request.query;
      if (wait === undefined) return sessions.requireView(request.params.sessionId);
      const { sessionId } = request.params;
      sessions.requireView(sessionId);
      const wanted = parseStatuses(wait, 'querystring.wait');
      const aborted = new AbortController();
      request.raw.once('close', () => aborted.abort());
      const source = { status: () => sessions.requireView(sessionId).status, changes: sessions };
      const outcome = await waitForStatus(sessionId, source, wanted, timeout * 1000, aborted.signal);
      const names = [...wanted].join(' or ');
      if (outcome === 'timeout') throw new Errors.WAIT_TIMEOUT(sessionId, `${names} within ${timeout} s`, source.status());
      if (outcome === 'settled') throw new Errors.WAIT_SETTLED(sessionId, names, source.status());
      return sessions.requireView(sessionId);
    },
  );

  app.patch(
    '/sessions/:sessionId',
    {
      schema: {
        tags: ['sessions'],
        description: 'Changes the caller\'s settings of a session: its metadata and its webhooks (each replaced as a whole).',
        params: SessionParams,
        body: UpdateSessionBody,
        response: { 200: Session, ...errors },
      },
    },
    async (request) => {
      sessions.requireView(request.params.sessionId);
      await checkSettings(request.body);
      return sessions.configure(request.params.sessionId, request.body);
    },
  );

  const lifecycle = { tags: ['sessions'], params: SessionParams, response: { 202: Session, ...errors } };

  app.post('/sessions/:sessionId/start', { schema: lifecycle }, async (request, reply) => {
    await sessions.start(request.params.sessionId);
    return reply.code(202).send(sessions.requireView(request.params.sessionId));
  });

  app.post('/sessions/:sessionId/stop', { schema: lifecycle }, async (request, reply) => {
    await sessions.stop(request.params.sessionId);
    return reply.code(202).send(sessions.requireView(request.params.sessionId));
  });

  app.post('/sessions/:sessionId/restart', { schema: lifecycle }, async (request, reply) => {
    await sessions.restart(request.params.sessionId);
    return reply.code(202).send(sessions.requireView(request.params.sessionId));
  });

  app.post(
    '/sessions/:sessionId/logout',
    { schema: { tags: ['sessions'], params: SessionParams, response: { 200: Session, ...errors } } },
    async (request) => {
      await sessions.logout(request.params.sessionId);
      return sessions.requireView(request.params.sessionId);
    },
  );

  app.delete(
    '/sessions/:sessionId',
    { schema: { tags: ['sessions'], params: SessionParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await sessions.remove(request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
}
