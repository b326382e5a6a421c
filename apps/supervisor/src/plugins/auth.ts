/**
 * API key check of the contract: `x-api-key: <key>` or `Authorization: Bearer <key>` on every route but
 * GET /health, compared in constant time (both sides hashed first, so their lengths match too).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import { Errors } from '../errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string') return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^bearer /i.test(authorization)) return authorization.slice(7).trim();
  return undefined;
}

export function apiKeyHook(apiKey: string): onRequestHookHandler {
  const expected = digest(apiKey);
  return async (request) => {
    if (request.method === 'GET' && request.routeOptions.url === '/health') return;
    const presented = presentedKey(request.headers);
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) throw new Errors.UNAUTHORIZED();
  };
}
