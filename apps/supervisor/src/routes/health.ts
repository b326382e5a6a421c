import { Type } from '@sinclair/typebox';
import { reply as documented } from '../schemas/documented.js';
import type { App } from '../types.js';

const startedAt = Date.now();

export async function healthRoutes(app: App): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        operationId: 'health',
        summary: 'Health check',
        description: 'Answers while the supervisor serves, with its sessions counted by status. Needs no API key and is never rate limited.',
        security: [],
        response: {
          200: documented(
            Type.Object({
              status: Type.Literal('ok'),
              uptimeSeconds: Type.Number({ description: 'Since the supervisor started' }),
              sessions: Type.Object({
                total: Type.Integer(),
                byStatus: Type.Record(Type.String(), Type.Integer(), { description: 'Statuses with at least one session' }),
              }),
            }),
            'The supervisor serves',
            { example: { status: 'ok', uptimeSeconds: 3600, sessions: { total: 3, byStatus: { ready: 2, qr: 1 } } } },
          ),
        },
      },
    },
    async () => {
      return {
        status: 'ok' as const,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        sessions: app.sessions.countByStatus(),
      };
    },
  );
}
