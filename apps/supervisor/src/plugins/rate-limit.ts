/**
 * RATE_LIMIT requests a minute per client (its API key when it sends one, else its address); 0 disables it.
 * Health checks and metrics scrapes are never limited.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';

const UNLIMITED = new Set(['/health', '/metrics']);

function clientKey(request: FastifyRequest): string {
  const key = request.headers['x-api-key'] ?? request.headers.authorization;
  return typeof key === 'string' ? `key:${key}` : `ip:${request.ip}`;
}

export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: clientKey,
    allowList: (request) => UNLIMITED.has(request.url.split('?')[0] ?? ''),
    errorResponseBuilder: (_request, context) => {
      const error = new Errors.RATE_LIMITED(context.max, context.after);
      return { statusCode: 429, code: error.code, error: 'Too Many Requests', message: error.message };
    },
  });
}
