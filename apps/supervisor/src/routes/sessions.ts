/** The session lifecycle routes of the contract. */
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { Errors } from '../errors.js';
import { assertWebhookTargets } from '../events/webhook-target.js';
import { reply as documented } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals } from '../schemas/errors.js';
import {
  createdSession,
  loggedOutSession,
  readySession,
  startingSession,
  stoppingSession,
} from '../schemas/examples.js';
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
import { parseStatuses } from '../session/session-list.js';
import type { SerializeSession } from '../session/view-texts.js';
import { waitForStatus } from '../session/wait-for-status.js';
import type { App } from '../types.js';

const WAIT_MAX_SECONDS = 120;
/** What Fastify labels the JSON it serializes: a text serialized ahead is labelled the same. */
const JSON_UTF8 = 'application/json; charset=utf-8';

/** Refusals of a route on one session, named by its path. */
const ON_SESSION = [...API_REFUSALS, Refused.invalidSessionId, Refused.sessionNotFound] as const;
/** Refusals of a request that would make one more session run (admission control). */
const ADMISSION = [Refused.tooManySessions, Refused.insufficientMemory] as const;
/** What a caller may store with a session, refused before anything is written. */
const SETTINGS = [
  new Errors.METADATA_TOO_LARGE('it nests deeper than 8 levels'),
  new Errors.INVALID_WEBHOOK_URL('"http://"', 'it is not a URL'),
  new Errors.ADDRESS_BLOCKED('hooks.internal', '10.0.0.8'),
] as const;

const paging = {
  'x-total-count': Type.Integer({ description: 'Sessions that match the filters, on every page' }),
  'x-next-cursor': Type.String({ description: 'The `cursor` of the next page; absent on the last page' }),
  link: Type.String({ description: 'The next page as `</sessions?...&cursor=...>; rel="next"`; absent on the last page' }),
};

export async function sessionRoutes(app: App): Promise<void> {
  const { sessions, config } = app;

  /** What a caller may store with a session, checked before anything is written. */
  const checkSettings = async (settings: { metadata?: Record<string, unknown>; webhooks?: WebhookTarget[] }): Promise<void> => {
    if (settings.metadata !== undefined) assertMetadataBounds(settings.metadata);
    if (settings.webhooks !== undefined) await assertWebhookTargets(settings.webhooks, config.blockPrivateAddresses);
  };

  app.post(
    '/start-session',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'startSession',
        summary: 'Start a session, creating it if new',
        description:
          'Idempotent: creates the session when it does not exist and starts it unless it is already meant to run. ' +
          'Answers at once with the session (`starting`); follow it with `GET /sessions/{sessionId}?wait=qr,ready`, SSE or webhooks. ' +
          'A session that would make more than MAX_SESSIONS run, or leave less than MIN_FREE_MEMORY_MB free, is refused and nothing changes.',
        body: StartSessionBody,
        response: {
          200: documented(Session, 'The session was already meant to run (starting, qr, authenticated, ready, disconnected or backoff): nothing changed', {
            example: readySession,
          }),
          202: documented(Session, 'This request started the session (new, or stopped, stopping or failed before)', {
            example: startingSession,
          }),
          ...refusals(
            ...API_REFUSALS,
            Refused.invalidSessionId,
            new Errors.VALIDATION_FAILED('body.engine must be one of: "webjs", "simulated"'),
            ...JSON_BODY_REFUSALS,
            ...ADMISSION,
            new Errors.SHUTTING_DOWN(),
          ),
        },
      },
    },
    async (request, reply) => {
      const { sessionId, engine } = request.body;
      const { session, started } = await sessions.startSession(sessionId, engine ?? config.defaultEngine);
      return reply.code(started ? 202 : 200).send(session);
    },
  );

  app.post(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'createSession',
        summary: 'Create a session',
        description:
          'Registers a new session with its metadata, webhooks and (webjs) proxy, and starts it unless `start` is false. ' +
          'Fails when the id is taken (use `POST /start-session` for create-or-start), when metadata or webhook targets are refused, ' +
          'or, when it would start, on admission control.',
        body: CreateSessionBody,
        response: {
          201: documented(Session, 'Created (and, unless `start: false`, starting)', { example: startingSession }),
          ...refusals(
            ...API_REFUSALS,
            Refused.invalidSessionId,
            new Errors.VALIDATION_FAILED("body has an unknown field 'colour'"),
            ...SETTINGS,
            ...JSON_BODY_REFUSALS,
            new Errors.SESSION_EXISTS('shop-42'),
            ...ADMISSION,
            new Errors.SHUTTING_DOWN(),
          ),
        },
      },
    },
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
        operationId: 'listSessions',
        summary: 'List sessions',
        description:
          'Every session ordered by sessionId, optionally filtered by status and engine. With `limit`, one page at a time: ' +
          'the next page is in the `x-next-cursor` and `Link` headers, the number of matching sessions in `x-total-count`.',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.String({ description: 'Only sessions in these statuses, comma-separated' })),
            engine: Type.Optional(EngineNameEnum),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size; without it, every session' })),
            cursor: Type.Optional(Type.String({ maxLength: 128, description: 'The `x-next-cursor` of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: documented(Type.Array(Session), 'The sessions of this page (all of them without `limit`)', {
            example: [readySession, { ...createdSession, sessionId: 'support-7', metadata: {}, webhooks: [] }],
            headers: paging,
          }),
          ...refusals(
            ...API_REFUSALS,
            new Errors.VALIDATION_FAILED(
              'querystring.status has unknown statuses (sleeping); allowed: starting, qr, authenticated, ready, disconnected, backoff, stopping, stopped, failed',
            ),
          ),
        },
      },
    },
    async (request, reply) => {
      const { status, engine, limit, cursor } = request.query;
      const page = sessions.page({
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
        operationId: 'getSession',
        summary: 'Get a session, optionally once it reaches a status',
        description:
          'The session now, or with `wait`, once it is in one of the listed statuses (at most `timeout` seconds). ' +
          'A wait ends early with `WSM_WAIT_SETTLED` when the session is `stopped` or `failed` and waited for neither: it will not move without a start.',
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
        response: {
          200: documented(Session, 'The session (with `wait`: in one of the wanted statuses)', { example: readySession }),
          ...refusals(
            ...ON_SESSION,
            new Errors.VALIDATION_FAILED('querystring.timeout must be <= 120'),
            new Errors.WAIT_TIMEOUT('shop-42', 'ready within 30 s', 'qr'),
            new Errors.WAIT_SETTLED('shop-42', 'ready', 'stopped'),
          ),
        },
      },
    },
    async (request, reply) => {
      const { wait, timeout = 30 } = request.query;
      if (wait === undefined) {
        // The text the route's serializer made of this session when it last changed; sent as it is.
        const text = sessions.requireViewText(request.params.sessionId, reply.getSerializationFunction('200') as SerializeSession);
        return (reply as FastifyReply).type(JSON_UTF8).send(text);
      }
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
        operationId: 'updateSession',
        summary: "Change a session's metadata or webhooks",
        description:
          "Changes the caller's settings of a session: its metadata and its webhooks (each replaced as a whole). " +
          'Applied once stored: a refused or failed change leaves the session as it was. The session keeps running.',
        params: SessionParams,
        body: UpdateSessionBody,
        response: {
          200: documented(Session, 'The session with its new settings', {
            example: { ...readySession, metadata: { crmAccountId: 'A-2002', team: 'support' } },
          }),
          ...refusals(
            ...ON_SESSION,
            new Errors.VALIDATION_FAILED('body must NOT have fewer than 1 properties'),
            ...SETTINGS,
            ...JSON_BODY_REFUSALS,
          ),
        },
      },
    },
    async (request) => {
      sessions.requireView(request.params.sessionId);
      await checkSettings(request.body);
      return sessions.configure(request.params.sessionId, request.body);
    },
  );

  app.post(
    '/sessions/:sessionId/start',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'startSessionById',
        summary: 'Start a session',
        description:
          'Makes the session meant to run and starts its worker unless one is up; a session already meant to run is left as it is. ' +
          'Refused by admission control when it would make one more session run.',
        params: SessionParams,
        response: {
          202: documented(Session, 'The session, meant to run (`starting` unless it was up already)', { example: startingSession }),
          ...refusals(...ON_SESSION, ...ADMISSION),
        },
      },
    },
    async (request, reply) => {
      await sessions.start(request.params.sessionId);
      return reply.code(202).send(sessions.requireView(request.params.sessionId));
    },
  );

  app.post(
    '/sessions/:sessionId/stop',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'stopSession',
        summary: 'Stop a session',
        description:
          'Stops the worker and keeps the session stopped, across supervisor restarts too; its pairing is kept, so a later start needs no QR. ' +
          'Answered once the stop is stored: the session shows `stopping`, then `stopped`.',
        params: SessionParams,
        response: {
          202: documented(Session, 'The session, stopping', { example: stoppingSession }),
          ...refusals(...ON_SESSION),
        },
      },
    },
    async (request, reply) => {
      await sessions.stop(request.params.sessionId);
      return reply.code(202).send(sessions.requireView(request.params.sessionId));
    },
  );

  app.post(
    '/sessions/:sessionId/restart',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'restartSession',
        summary: 'Restart a session',
        description:
          'A fresh worker: the running one is stopped first, then a new one starts (keeping the pairing). ' +
          'A stopped or failed session is started. Refused by admission control when it would make one more session run.',
        params: SessionParams,
        response: {
          202: documented(Session, 'The session, restarting (`stopping`, then `starting`)', { example: stoppingSession }),
          ...refusals(...ON_SESSION, ...ADMISSION),
        },
      },
    },
    async (request, reply) => {
      await sessions.restart(request.params.sessionId);
      return reply.code(202).send(sessions.requireView(request.params.sessionId));
    },
  );

  app.post(
    '/sessions/:sessionId/logout',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'logoutSession',
        summary: 'Log a session out',
        description:
          'Unlinks the device (when a worker is up to do it), stops the worker and deletes its auth data. ' +
          'The session stays, `stopped`: the next start shows a new QR code.',
        params: SessionParams,
        response: {
          200: documented(Session, 'The session, stopped and unlinked', { example: loggedOutSession }),
          ...refusals(...ON_SESSION),
        },
      },
    },
    async (request) => {
      await sessions.logout(request.params.sessionId);
      return sessions.requireView(request.params.sessionId);
    },
  );

  app.delete(
    '/sessions/:sessionId',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'deleteSession',
        summary: 'Delete a session',
        description:
          "Stops the worker and removes the session: its registry entry, every file under DATA_DIR/sessions/{sessionId}, its idempotency keys and its logs. " +
          'Its events already recorded are still delivered.',
        params: SessionParams,
        response: {
          204: documented(Type.Null(), 'Deleted'),
          ...refusals(...ON_SESSION),
        },
      },
    },
    async (request, reply) => {
      await sessions.remove(request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
}
