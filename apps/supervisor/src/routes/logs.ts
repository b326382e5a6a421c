/** GET /sessions/:id/logs: the session's recent log records, supervisor's and worker's, oldest first. */
import { Type } from '@sinclair/typebox';
import { Errors } from '../errors.js';
import { reply as documented } from '../schemas/documented.js';
import { API_REFUSALS, Refused, refusals } from '../schemas/errors.js';
import { SessionParams } from '../schemas/session.js';
import { LogRecord } from '../logs/log-record.js';
import type { App } from '../types.js';

/** Records carry the fields they were logged with, beyond the four every record has. */
const LOG_EXAMPLE = [
  { time: '2026-01-15T09:30:00.012Z', level: 'info', source: 'supervisor', msg: 'session starting', from: 'stopped', to: 'starting', reason: 'start requested' },
  { time: '2026-01-15T09:30:00.040Z', level: 'info', source: 'supervisor', msg: 'worker forked', engine: 'webjs' },
];

export async function logRoutes(app: App): Promise<void> {
  app.get(
    '/sessions/:sessionId/logs',
    {
      // In a cluster the records are in the database: any node reads them, even while the session's node is away.
      config: { anyNode: true },
      schema: {
        tags: ['sessions'],
        operationId: 'getSessionLogs',
        summary: "A session's recent log records",
        description:
          "The session's last log records, oldest first: the supervisor's about it and its worker's (SESSION_LOG_RECORDS are kept per session, in memory). " +
          'In cluster mode they are kept in PostgreSQL, whichever node logged them, and any node answers: each record names its `node`, ' +
          "and a node's last fraction of a second may not be written yet. " +
          'Credentials and message texts are never logged.',
        params: SessionParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'The last this many records' })),
        }),
        response: {
          200: documented(Type.Array(LogRecord), 'The records, oldest first; each has the fields its line was logged with', {
            example: LOG_EXAMPLE,
          }),
          ...refusals(...API_REFUSALS, Refused.invalidSessionId, new Errors.VALIDATION_FAILED('querystring.limit must be >= 1'), Refused.sessionNotFound),
        },
      },
    },
    async (request) => {
      const session = app.sessions.requireView(request.params.sessionId);
      return app.sessionLogs.recent(session.sessionId, request.query.limit ?? 100);
    },
  );
}
