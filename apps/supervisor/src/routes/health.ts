import { Type } from '@sinclair/typebox';
import type { App } from '../types.js';

const startedAt = Date.now();

export async function healthRoutes(app: App): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            uptimeSeconds: Type.Number(),
            sessions: Type.Object({
              total: Type.Integer(),
              byStatus: Type.Record(Type.String(), Type.Integer()),
            }),
          }),
        },
      },
    },
    async () => {
      const byStatus: Record<string, number> = {};
      const all = app.sessions.list();
      for (const session of all) byStatus[session.status] = (byStatus[session.status] ?? 0) + 1;
      return {
        status: 'ok' as const,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        sessions: { total: all.length, byStatus },
      };
    },
  );
}
