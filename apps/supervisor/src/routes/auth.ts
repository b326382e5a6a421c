/**
 * Browser sign-in, registered only with API_KEY set: POST /auth/login trades the key for the `wsm_session` cookie
 * (HttpOnly, SameSite=Strict, Secure over https; an expiring HMAC derived from the key, never the key itself),
 * POST /auth/logout revokes and clears it, GET /auth/token hands out a short-lived `?token=` for an EventSource on
 * /events, and GET /auth/login is the page /docs sends a browser to.
 */
import { Type, type Static } from '@sinclair/typebox';
import { stringifySetCookie } from 'cookie';
import { secretMatcher } from '../auth/secret-match.js';
import { SIGN_IN_CSP, SIGN_IN_HTML } from '../auth/sign-in-page.js';
import { Errors } from '../errors.js';
import { sessionCookie, SESSION_COOKIE, SIGN_IN_PAGE, type BrowserAuth } from '../plugins/auth.js';
import { reply as documented, withExample } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals } from '../schemas/errors.js';
import type { App } from '../types.js';

/** Long enough to open the stream; an EventSource that has to reconnect later fetches a fresh one. */
export const EVENTS_TOKEN_TTL_MS = 5 * 60_000;

const SignInBody = Type.Object(
  { apiKey: Type.String({ minLength: 1, maxLength: 4096, description: 'The API_KEY the service runs with' }) },
  { additionalProperties: false },
);

const EventsToken = Type.Object({
  token: Type.String({ description: 'For `GET /events?token=…` only: no other route takes it' }),
  expiresAt: Type.String({ format: 'date-time', description: 'After this it opens no stream; a stream opened before stays open' }),
});

/** A token as GET /auth/token writes it (`v1.events.<expiresAtMs>.<nonce>.<mac>`), its expiry in step. */
const eventsToken: Static<typeof EventsToken> = {
  token: 'v1.events.1768470300000.3hBa8LhT0ybn6f0sY2Q9Xg.VQd2n1m0rj6Rr9o3J0Jb3QG3cq0oQmQY2yJ8b1HkY9A',
  expiresAt: '2026-01-15T09:45:00.000Z',
};

const sessionCookieHeader = Type.String({
  description:
    '`wsm_session=…; Max-Age=<SESSION_COOKIE_HOURS in seconds>; Path=/; HttpOnly; SameSite=Strict`, and `Secure` when the request came over https',
});
const COOKIE_ATTRIBUTES = { httpOnly: true, sameSite: 'strict', path: '/' } as const;
const noStore = Type.String({ description: '`no-store`' });

export function authRoutes(options: BrowserAuth): (app: App) => Promise<void> {
  const isKey = secretMatcher(options.apiKey);
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
          operationId: 'signIn',
          summary: 'Sign a browser in',
          description:
            'Trades the API key for the `wsm_session` cookie (HttpOnly, SameSite=Strict, Secure over https), good for SESSION_COOKIE_HOURS or until logout or an API_KEY change; its value is derived from the key, never the key itself. ' +
            'With the cookie, a browser calls every route, `GET /docs` and `GET /events` included. A request that changes something (POST, PATCH, PUT, DELETE) and carries only the cookie must come with an `Origin` that is this service\'s own or one in CORS_ORIGINS, else `403 WSM_FORBIDDEN_ORIGIN`. ' +
            'Needs no credential; registered only when API_KEY is set.',
          security: [],
          body: withExample(SignInBody, { apiKey: 'your-api-key' }),
          response: {
            204: documented(Type.Null(), 'Signed in: the answer sets the `wsm_session` cookie', {
              headers: { 'set-cookie': sessionCookieHeader, 'cache-control': noStore },
            }),
            ...refusals(
              Refused.unauthorized,
              Refused.rateLimited,
              new Errors.VALIDATION_FAILED('body.apiKey is required'),
              ...JSON_BODY_REFUSALS,
            ),
          },
        },
      },
      async (request, reply) => {
        if (!isKey(request.body.apiKey)) throw new Errors.UNAUTHORIZED();
        const { token } = options.tokens.issue('session', options.sessionCookieMs);
        request.log.info('browser signed in');
        const cookie = { name: SESSION_COOKIE, value: token, maxAge: Math.floor(options.sessionCookieMs / 1000), ...COOKIE_ATTRIBUTES };
        return reply
          .header('cache-control', 'no-store')
          .header('set-cookie', stringifySetCookie({ ...cookie, secure: request.protocol === 'https' }))
          .code(204)
          .send(null);
      },
    );

    app.post(
      '/auth/logout',
      {
        schema: {
          tags: ['service'],
          operationId: 'signOut',
          summary: 'Sign a browser out',
          description:
            'Revokes the `wsm_session` cookie the request carries and clears it in the browser. The revocation is kept in memory: a supervisor restart forgets it, so a copy of the cookie taken before would be good again until it expires. ' +
            'Takes no body and needs no credential: without a valid cookie it only clears it.',
          security: [],
          response: {
            204: documented(Type.Null(), 'Signed out: the answer clears the `wsm_session` cookie', {
              headers: { 'set-cookie': Type.String({ description: '`wsm_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`, with an expiry in the past' }) },
            }),
            ...refusals(Refused.rateLimited),
          },
        },
      },
      async (request, reply) => {
        options.tokens.revoke('session', sessionCookie(request));
        // Cleared as browsers expect it: empty, expired now and in the past.
        const cleared = { name: SESSION_COOKIE, value: '', maxAge: 0, expires: new Date(0), ...COOKIE_ATTRIBUTES };
        return reply
          .header('set-cookie', stringifySetCookie({ ...cleared, secure: request.protocol === 'https' }))
          .code(204)
          .send(null);
      },
    );

    app.get(
      '/auth/token',
      {
        schema: {
          tags: ['events'],
          operationId: 'issueEventsToken',
          summary: 'Get a token for an EventSource',
          description:
            `A token for \`GET /events?token=…\`, for an \`EventSource\` that can carry neither the key (it can set no header) nor the \`wsm_session\` cookie. ` +
            `Good for ${EVENTS_TOKEN_TTL_MS / 60_000} minutes, on /events only; a stream it opened stays open, and one that has to reconnect later needs a fresh token. Asked for with the key or the cookie.`,
          response: {
            200: documented(EventsToken, 'The token and when it expires', { example: eventsToken, headers: { 'cache-control': noStore } }),
            ...refusals(...API_REFUSALS),
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
