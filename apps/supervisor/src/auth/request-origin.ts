/**
 * Cross-site request forgery guard for cookie-authenticated requests that change something. A browser attaches the
 * cookie by itself, so such a request must show where it came from: every browser sends `Origin` on POST, PATCH,
 * PUT and DELETE, and it must be this service's own origin (its host as the request names it) or one of
 * CORS_ORIGINS. `SameSite=Strict` already keeps the cookie off cross-site requests; this also stops a sibling
 * site (same site, other origin) and any browser that ignores SameSite.
 */
import type { FastifyRequest } from 'fastify';

export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function originAllowed(request: FastifyRequest, corsOrigins: ReadonlySet<string>): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === '' || origin === 'null') return false;
  if (corsOrigins.has(origin)) return true;
  const host = request.headers.host;
  if (typeof host !== 'string') return false;
  try {
    // The scheme is not compared: behind a TLS-terminating proxy the request itself arrives over http.
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}
