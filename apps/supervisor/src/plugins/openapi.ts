/**
 * GET /openapi.json and GET /docs (Swagger UI), generated from the route schemas: registered before the
 * routes, so every route they declare is in the document.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'WhatsApp Session Manager',
        version,
        description:
          'Keeps many WhatsApp sessions online, each in its own supervised worker process. Errors are `{ statusCode, code, error, message }` with a stable `WSM_` code.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
          // Set by POST /auth/login, for browsers (this page included).
          cookie: { type: 'apiKey', in: 'cookie', name: 'wsm_session' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }, { cookie: [] }],
      tags: [
        { name: 'sessions', description: 'Session lifecycle, QR and pairing codes, logs' },
        { name: 'messages', description: 'Sending messages' },
        { name: 'events', description: 'Server-Sent Events' },
        { name: 'webhooks', description: 'Webhook deliveries' },
        { name: 'simulate', description: 'Act as the phone, the other party and the network (engine simulated)' },
        { name: 'service', description: 'Health, metrics, documentation' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { tags: ['service'], description: 'This OpenAPI document' } }, async () => app.swagger());
}
