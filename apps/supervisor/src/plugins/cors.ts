/**
 * CORS for the origins in CORS_ORIGINS, compared exactly, with credentials (cookie or key headers) allowed for
 * them alone; none by default, and then no CORS header at all. Registered before the auth hook: a preflight
 * carries no credential and is answered before it.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: [...origins],
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'idempotency-key', 'last-event-id'],
    // What a page may read of an answer besides the simple headers.
    exposedHeaders: ['idempotent-replayed', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600,
  });
}
