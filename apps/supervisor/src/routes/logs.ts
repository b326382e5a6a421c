/** GET /sessions/:id/logs: the session's recent log records, supervisor's and worker's, oldest first. */
import { Type } from '@sinclair/typebox';
import { ErrorReply } from '../schemas/errors.js';
import { SessionParams } from '../schemas/session.js';
import type { App } from '../types.js';

const LogRecord = Type.Object(
  {
    time: Type.String({ format: 'date-time' }),
    level: Type.String(),
    source: Type.String({ description: 'supervisor, worker, worker-stderr or worker-stdout' }),
    msg: Type.String(),
  },
  { additionalProperties: true },
);

export async function logRoutes(app: App): Promise<void> {
  app.get(
    '/sessions/:sessionId/logs',
    {
      schema: {
        tags: ['sessions'],
        params: SessionParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })) }),
        response: { 200: Type.Array(LogRecord), 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const session = app.sessions.require(request.params.sessionId);
      return app.sessionLogs.recent(session.sessionId, request.query.limit ?? 100);
    },
  );
}
