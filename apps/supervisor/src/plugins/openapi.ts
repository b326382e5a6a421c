/**
 * GET /openapi.json and GET /docs (Swagger UI), generated from the route schemas: registered before the
 * routes, so every route they declare is in the document. `pnpm openapi` writes the same document to
 * docs/openapi.json (openapi-document.ts); a test fails when that file is stale.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { reply } from '../schemas/documented.js';
import { hoistTitledSchemas } from './openapi-components.js';
import { API_REFUSALS, refusals } from '../schemas/errors.js';

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'WhatsApp Session Manager',
        version,
        description: [
          'Keeps many WhatsApp sessions online, each in its own supervised worker process.',
          '',
          '- JSON in and out (`content-type: application/json`, UTF-8; a media send may also be a `multipart/form-data` upload). Bodies are validated as written: no type coercion, no unknown fields.',
          '- Every error is `{ statusCode, code, error, message }` with a stable `WSM_` code; each operation lists the codes it can answer with.',
          '  Any route can also answer `404 WSM_ROUTE_NOT_FOUND`, `400 WSM_BAD_URL`, `414 WSM_URI_TOO_LONG`, `431 WSM_HEADERS_TOO_LARGE` and `500 WSM_INTERNAL_ERROR`.',
          '- With `API_KEY` set, every route but `GET /health` and the browser sign-in (`POST /auth/login`, `POST /auth/logout`) needs `x-api-key: <key>` or `Authorization: Bearer <key>`, or the `wsm_session` cookie of `POST /auth/login` (`401 WSM_UNAUTHORIZED`).',
          '  A request that changes something (POST, PATCH, PUT, DELETE) with only the cookie must carry an `Origin` that is this service\'s own or one in `CORS_ORIGINS` (`403 WSM_FORBIDDEN_ORIGIN`).',
          '  `GET /events` also takes a `?token=` of `GET /auth/token`, and `GET /metrics` the `METRICS_TOKEN` as a bearer token.',
          '- `RATE_LIMIT` requests a minute per client (`429 WSM_RATE_LIMITED`); `/health` and `/metrics` are never limited.',
          '- Events (status changes, QR codes, messages, acks) reach you as signed webhooks and as Server-Sent Events (`GET /events`).',
          '',
          'The reference with examples is docs/api.md in the repository.',
        ].join('\n'),
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The API_KEY' },
          bearer: { type: 'http', scheme: 'bearer', description: 'The API_KEY; on `GET /metrics` also the METRICS_TOKEN' },
          // Set by POST /auth/login, for browsers (this page included).
          cookie: { type: 'apiKey', in: 'cookie', name: 'wsm_session', description: 'Set by `POST /auth/login`; changes need an allowed `Origin`' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }, { cookie: [] }],
      tags: [
        { name: 'sessions', description: 'Session lifecycle, QR and pairing codes, logs' },
        { name: 'messages', description: 'Sending messages' },
        { name: 'events', description: 'Server-Sent Events' },
        { name: 'webhooks', description: 'Webhook deliveries' },
        { name: 'simulate', description: 'Act as the phone, the other party and the network (engine simulated)' },
        { name: 'service', description: 'Health, metrics, this document' },
      ],
    },
    transformObject: (documentObject) =>
      'openapiObject' in documentObject ? hoistTitledSchemas(documentObject.openapiObject) : documentObject.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['service'],
        operationId: 'openapi',
        summary: 'This OpenAPI document',
        description: 'The OpenAPI 3.0.3 document of this API, generated from the route schemas; `GET /docs` shows it in Swagger UI.',
        response: {
          200: reply(Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true }), 'The document', {
            example: { openapi: '3.0.3', info: { title: 'WhatsApp Session Manager', version }, paths: {} },
          }),
          ...refusals(...API_REFUSALS),
        },
      },
    },
    async () => app.swagger(),
  );
}
