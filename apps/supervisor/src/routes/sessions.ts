/** The session lifecycle routes of the contract. */
import { Type } from '@sinclair/typebox';
import { ErrorReply } from '../schemas/errors.js';
import { CreateSessionBody, Session, SessionParams, StartSessionBody, UpdateSessionBody } from '../schemas/session.js';
import type { App } from '../types.js';

const errors = { 400: ErrorReply, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };

export async function sessionRoutes(app: App): Promise<void> {
  const { sessions, config } = app;

  app.post(
    '/start-session',
    { schema: { tags: ['sessions'], body: StartSessionBody, response: { 200: Session, 202: Session, ...errors } } },
    async (request, reply) => {
      const { sessionId, engine } = request.body;
      const { session, started } = await sessions.startSession(sessionId, engine ?? config.defaultEngine);
      return reply.code(started ? 202 : 200).send(session.toSession());
    },
  );

  app.post(
    '/sessions',
    { schema: { tags: ['sessions'], body: CreateSessionBody, response: { 201: Session, ...errors } } },
    async (request, reply) => {
      const { sessionId, engine, start, metadata, webhooks, proxy } = request.body;
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
      return reply.code(201).send(session.toSession());
    },
  );

  app.get('/sessions', { schema: { tags: ['sessions'], response: { 200: Type.Array(Session) } } }, async () =>
    sessions.list(),
  );

  app.get(
    '/sessions/:sessionId',
    { schema: { tags: ['sessions'], params: SessionParams, response: { 200: Session, ...errors } } },
    async (request) => sessions.require(request.params.sessionId).toSession(),
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
      const session = sessions.require(request.params.sessionId);
      session.configure(request.body);
      await session.flush();
      return session.toSession();
    },
  );

  const lifecycle = { tags: ['sessions'], params: SessionParams, response: { 202: Session, ...errors } };

  app.post('/sessions/:sessionId/start', { schema: lifecycle }, async (request, reply) => {
    const session = sessions.require(request.params.sessionId);
    if (session.desiredState !== 'running') sessions.admit(session.engine);
    session.start();
    await session.flush();
    return reply.code(202).send(session.toSession());
  });

  app.post('/sessions/:sessionId/stop', { schema: lifecycle }, async (request, reply) => {
    const session = sessions.require(request.params.sessionId);
    // Answered once the stop is durable, not once the worker is gone: that shows as `stopping` → `stopped`.
    void session.stop().catch((error: unknown) => request.log.error({ err: error }, 'stop failed'));
    await session.flush();
    return reply.code(202).send(session.toSession());
  });

  app.post('/sessions/:sessionId/restart', { schema: lifecycle }, async (request, reply) => {
    const session = sessions.require(request.params.sessionId);
    if (session.desiredState !== 'running') sessions.admit(session.engine);
    void session.restart().catch((error: unknown) => request.log.error({ err: error }, 'restart failed'));
    await session.flush();
    return reply.code(202).send(session.toSession());
  });

  app.post(
    '/sessions/:sessionId/logout',
    { schema: { tags: ['sessions'], params: SessionParams, response: { 200: Session, ...errors } } },
    async (request) => {
      const session = sessions.require(request.params.sessionId);
      await session.logout();
      await session.flush();
      return session.toSession();
    },
  );

  app.delete(
    '/sessions/:sessionId',
    { schema: { tags: ['sessions'], params: SessionParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await sessions.remove(request.params.sessionId);
      await app.sender.forget(request.params.sessionId);
      app.sessionLogs.forget(request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
}
