/**
 * Browser sign-in, registered only with API_KEY set: POST /auth/login trades the key for the `wsm_session` cookie
 * (HttpOnly, SameSite=Strict, Secure over https; an expiring HMAC derived from the key, never the key itself),
 * POST /auth/logout revokes and clears it, GET /auth/token hands out a short-lived `?token=` for an EventSource on
 * /events, and GET /auth/login is the page /docs sends a browser to.
 */
import { timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { SIGN_IN_CSP, SIGN_IN_HTML } from '../auth/sign-in-page.js';
import { Errors } from '../errors.js';
import { secretDigest, sessionCookie, SESSION_COOKIE, SIGN_IN_PAGE, type BrowserAuth } from '../plugins/auth.js';
import { ErrorReply } from '../schemas/errors.js';
import type { App } from '../types.js';

/** Long enough to open the stream; an EventSource that has to reconnect later fetches a fresh one. */
export const EVENTS_TOKEN_TTL_MS = 5 * 60_000;

export function authRoutes(options: BrowserAuth): (app: App) => Promise<void> {
  const expected = secretDigest(options.apiKey);
  return async (app) => {
    app.get(SIGN_IN_PAGE, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', SIGN_IN_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .send(SIGN_IN_HTML),
    );

    app.post(
      SIGN_IN_PAGE,
      {
        schema: {
          tags: ['service'],
          description:
            'Trades the API key for the `wsm_session` cookie (HttpOnly, SameSite=Strict, Secure over https), good for SESSION_COOKIE_HOURS or until logout or an API_KEY change. Requests that change something and carry only the cookie must come from this origin or one in CORS_ORIGINS.',
          security: [],
          body: Type.Object({ apiKey: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
          response: { 204: Type.Null(), 401: ErrorReply },
        },
      },
      async (request, reply) => {
        if (!timingSafeEqual(secretDigest(request.body.apiKey), expected)) throw new Errors.UNAUTHORIZED();
        const { token } = options.tokens.issue('session', options.sessionCookieMs);
        request.log.info('browser signed in');
        return reply
          .header('cache-control', 'no-store')
          .setCookie(SESSION_COOKIE, token, {
            httpOnly: true,
            sameSite: 'strict',
            path: '/',
            secure: request.protocol === 'https',
            maxAge: Math.floor(options.sessionCookieMs / 1000),
          })
          .code(204)
          .send(null);
      },
    );

    app.post(
      '/auth/logout',
      {
        schema: {
          tags: ['service'],
          description: 'Revokes the `wsm_session` cookie this browser holds and clears it.',
          security: [],
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        options.tokens.revoke('session', sessionCookie(request, options.parseCookie));
        return reply
          .clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: request.protocol === 'https' })
          .code(204)
          .send(null);
      },
    );

    app.get(
      '/auth/token',
      {
        schema: {
          tags: ['events'],
          description: `A token for \`GET /events?token=…\` (an EventSource can set no header), good for ${EVENTS_TOKEN_TTL_MS / 60_000} minutes and for /events only.`,
          response: {
            200: Type.Object({ token: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
            401: ErrorReply,
          },
        },
      },
      async (_request, reply) => {
        const { token, expiresAt } = options.tokens.issue('events', EVENTS_TOKEN_TTL_MS);
        reply.header('cache-control', 'no-store');
        return { token, expiresAt: new Date(expiresAt).toISOString() };
      },
    );
  };
}
