/**
 * Who may call the API when API_KEY is set; the first credential a request presents decides:
 * - none needed: GET/HEAD /health, the sign-in page, POST /auth/login and /auth/logout;
 * - the key, as `x-api-key: <key>` or `Authorization: Bearer <key>`, compared in constant time, its length
 *   included (auth/secret-match.ts); on GET /metrics METRICS_TOKEN as well;
 * - the `wsm_session` cookie of POST /auth/login; a request that changes something also has to pass the origin
 *   check (auth/request-origin.ts);
 * - on GET /events only, a `?token=` of GET /auth/token, as an EventSource can set no header.
 * A browser opening /docs or /dashboard without any of them is sent to the sign-in page (which comes back to
 * /dashboard); anything else is 401 WSM_UNAUTHORIZED.
 */
import { parseCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { originAllowed, SAFE_METHODS } from '../auth/request-origin.js';
import { secretMatcher } from '../auth/secret-match.js';
import { TokenSigner } from '../auth/signed-tokens.js';
import { Errors } from '../errors.js';

export const SESSION_COOKIE = 'wsm_session';
export const SIGN_IN_PAGE = '/auth/login';

export interface AuthOptions {
  apiKey: string;
  metricsToken: string | undefined;
  tokens: TokenSigner;
  corsOrigins: readonly string[];
}

const READS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

function isPublic(method: string, route: string): boolean {
  if (route === '/health') return READS.has(method);
  if (route === SIGN_IN_PAGE) return method === 'GET' || method === 'POST';
  return route === '/auth/logout' && method === 'POST';
}

function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string') return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^bearer /i.test(authorization)) return authorization.slice(7).trim();
  return undefined;
}

export function sessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return typeof header === 'string' ? parseCookie(header)[SESSION_COOKIE] : undefined;
}

/**
 * Where to send a page load (not a script, an image or JSON) of the documentation or the dashboard that has no
 * credential: the sign-in page, told to come back to the dashboard (it goes on to /docs by default).
 */
function signInRedirect(request: FastifyRequest, route: string | undefined): string | undefined {
  if (request.method !== 'GET' || !/text\/html/.test(request.headers.accept ?? '')) return undefined;
  if (route?.startsWith('/docs') === true) return SIGN_IN_PAGE;
  if (route === '/dashboard' || route === '/dashboard/') return `${SIGN_IN_PAGE}?next=%2Fdashboard`;
  return undefined;
}

export function authHook(options: AuthOptions): onRequestHookHandler {
  const isKey = secretMatcher(options.apiKey);
  const isMetricsToken = options.metricsToken === undefined ? undefined : secretMatcher(options.metricsToken);
  const corsOrigins = new Set(options.corsOrigins);
  /** Undefined: let it through; a path: send the browser there; a throw: refuse it. */
  const decide = (request: FastifyRequest): string | undefined => {
    const route = request.routeOptions.url;
    const method = request.method;
    if (route !== undefined && isPublic(method, route)) return undefined;

    const presented = presentedKey(request.headers);
    if (presented !== undefined) {
      if (isKey(presented)) return undefined;
      if (isMetricsToken !== undefined && route === '/metrics' && READS.has(method) && isMetricsToken(presented)) return undefined;
      throw new Errors.UNAUTHORIZED();
    }

    if (options.tokens.verify('session', sessionCookie(request))) {
      if (!SAFE_METHODS.has(method) && !originAllowed(request, corsOrigins)) {
        throw new Errors.FORBIDDEN_ORIGIN(method, request.headers.origin ?? 'an unnamed one (no Origin header)');
      }
      return undefined;
    }

    if (route === '/events' && method === 'GET') {
      const { token } = request.query as { token?: unknown };
      if (typeof token === 'string' && options.tokens.verify('events', token)) return undefined;
    }

    const signIn = signInRedirect(request, route);
    if (signIn !== undefined) return signIn;
    throw new Errors.UNAUTHORIZED();
  };
  // Callback style: an async hook would cost every request a promise and a turn of the microtask queue.
  return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    let signIn: string | undefined;
    try {
      signIn = decide(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    // A reply sent from a hook ends the request there: done() is not called.
    if (signIn === undefined) done();
    else void reply.redirect(signIn, 303);
  };
}

export interface BrowserAuth {
  apiKey: string;
  tokens: TokenSigner;
  sessionCookieMs: number;
}

/**
 * Installs the check on every request; returns what the /auth routes need. The cookie is parsed by the hook only
 * when a request brings no key header, and written by the two routes that set it: no cookie plugin, whose onSend
 * hook ran on every answer of every route to look for cookies to write.
 */
export function registerAuth(
  app: FastifyInstance,
  config: { apiKey: string; metricsToken: string | undefined; corsOrigins: readonly string[]; sessionCookieMs: number },
): BrowserAuth {
  const tokens = new TokenSigner(config.apiKey);
  app.addHook('onRequest', authHook({ ...config, tokens }));
  return { apiKey: config.apiKey, tokens, sessionCookieMs: config.sessionCookieMs };
}
