import { describe, expect, it } from 'vitest';
import { TokenSigner } from '../src/auth/signed-tokens.js';
import { useTestApps } from './helpers.js';
import { openEventStream } from './sse-client.js';

const KEY = 'browser-test-key-0123456789';
const apps = useTestApps();

/** An app with API_KEY over real HTTP on a free loopback port. */
async function serve(env: Record<string, string> = {}, sameDataDir = false): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const { app, close } = await apps.open({ API_KEY: KEY, ...env }, sameDataDir);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, origin: url, close };
}

async function signIn(url: string, apiKey = KEY): Promise<{ response: Response; cookie: string | undefined; setCookie: string }> {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKey }),
  });
  const setCookie = response.headers.getSetCookie().find((line) => line.startsWith('wsm_session=')) ?? '';
  return { response, cookie: setCookie === '' ? undefined : setCookie.split(';')[0], setCookie };
}

const codeOf = async (response: Response): Promise<string> => ((await response.json()) as { code: string }).code;
const createBody = (sessionId: string): string => JSON.stringify({ sessionId, start: false });

describe('browser sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict cookie derived from the key, which alone opens reads and the event stream', async () => {
    const { url } = await serve({ SESSION_COOKIE_HOURS: '3' });
    const wrong = await signIn(url, 'not-the-key');
    expect(wrong.response.status).toBe(401);
    expect(await codeOf(wrong.response)).toBe('WSM_UNAUTHORIZED');
    expect(wrong.cookie).toBeUndefined();

    const { response, cookie, setCookie } = await signIn(url);
    expect(response.status).toBe(204);
    expect(cookie).toMatch(/^wsm_session=v1\.session\.\d+\./);
    expect(setCookie).not.toContain(KEY);
    const attributes = setCookie.split(';').slice(1).map((part) => part.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/', `max-age=${3 * 3600}`]));
    // Plain http here: a Secure cookie would never come back.
    expect(attributes).not.toContain('secure');

    expect((await fetch(`${url}/sessions`)).status).toBe(401);
    const sessions = await fetch(`${url}/sessions`, { headers: { cookie: cookie! } });
    expect(sessions.status).toBe(200);
    expect(await sessions.json()).toEqual([]);

    // What an EventSource on the same origin does: a plain GET that carries the cookie.
    const stream = await openEventStream(`${url}/events`, { cookie: cookie! });
    const created = await fetch(`${url}/sessions`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: 'watched' }),
    });
    expect(created.status).toBe(201);
    await stream.waitFor(1);
    expect(stream.events[0]!.envelope).toMatchObject({ sessionId: 'watched', type: 'session.status' });
    stream.close();
  });

  it('guards cookie-authenticated changes against cross-site forgery: own origin or CORS_ORIGINS only', async () => {
    const { url, origin } = await serve({ CORS_ORIGINS: 'https://console.example.com' });
    const { cookie } = await signIn(url);
    const post = (headers: Record<string, string>, sessionId: string): Promise<Response> =>
      fetch(`${url}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: createBody(sessionId) });

    for (const [headers, what] of [
      [{ cookie: cookie! }, 'no Origin'],
      [{ cookie: cookie!, origin: 'https://evil.example.net' }, 'a foreign origin'],
      [{ cookie: cookie!, origin: 'null' }, 'an opaque origin'],
      [{ cookie: cookie!, origin: 'http://127.0.0.1:1' }, 'the same host on another port'],
    ] as const) {
      const refused = await post(headers, 'forged');
      expect({ what, status: refused.status }).toEqual({ what, status: 403 });
      expect(await codeOf(refused)).toBe('WSM_FORBIDDEN_ORIGIN');
    }
    const forgedDelete = await fetch(`${url}/sessions/anything`, { method: 'DELETE', headers: { cookie: cookie!, origin: 'https://evil.example.net' } });
    expect(forgedDelete.status).toBe(403);
    expect((await fetch(`${url}/sessions/forged`, { headers: { cookie: cookie! } })).status).toBe(404);

    expect((await post({ cookie: cookie!, origin }, 'same-origin')).status).toBe(201);
    expect((await post({ cookie: cookie!, origin: 'https://console.example.com' }, 'listed-origin')).status).toBe(201);
    // The key itself is no ambient credential: no origin needed.
    expect((await post({ 'x-api-key': KEY }, 'by-key')).status).toBe(201);
  });

  it('logout revokes and clears the cookie', async () => {
    const { url } = await serve();
    const { cookie } = await signIn(url);
    const { cookie: other } = await signIn(url);
    const logout = await fetch(`${url}/auth/logout`, { method: 'POST', headers: { cookie: cookie! } });
    expect(logout.status).toBe(204);
    const cleared = logout.headers.getSetCookie().find((line) => line.startsWith('wsm_session='))!;
    expect(cleared).toMatch(/^wsm_session=;/);
    expect(cleared.toLowerCase()).toContain('max-age=0');
    const after = await fetch(`${url}/sessions`, { headers: { cookie: cookie! } });
    expect(after.status).toBe(401);
    expect(await codeOf(after)).toBe('WSM_UNAUTHORIZED');
    // Another browser's sign-in is its own.
    expect((await fetch(`${url}/sessions`, { headers: { cookie: other! } })).status).toBe(200);
  });

  it('refuses an expired, a tampered or a foreign-key cookie, and every cookie once API_KEY changes', async () => {
    const { url, close } = await serve();
    const { cookie } = await signIn(url);
    const value = cookie!.slice('wsm_session='.length);
    const expired = new TokenSigner(KEY, () => Date.now() - 13 * 3_600_000).issue('session', 12 * 3_600_000).token;
    const foreign = new TokenSigner('some-other-key').issue('session', 3_600_000).token;
    const stretched = value.replace(/^v1\.session\.\d+\./, `v1.session.${Date.now() + 365 * 86_400_000}.`);
    const asEvents = new TokenSigner(KEY).issue('events', 3_600_000).token;
    for (const [bad, what] of [
      [expired, 'expired'],
      [foreign, 'signed with another key'],
      [stretched, 'expiry changed'],
      [asEvents, 'an events token'],
      [KEY, 'the key itself'],
    ] as const) {
      const reply = await fetch(`${url}/sessions`, { headers: { cookie: `wsm_session=${bad}` } });
      expect({ what, status: reply.status }).toEqual({ what, status: 401 });
    }
    expect((await fetch(`${url}/sessions`, { headers: { cookie: cookie! } })).status).toBe(200);

    // The same data, restarted with a new key: the old sign-in is gone.
    await close();
    const { url: restarted } = await serve({ API_KEY: 'the-rotated-key' }, true);
    expect((await fetch(`${restarted}/sessions`, { headers: { cookie: cookie! } })).status).toBe(401);
  });

  it('hands out short-lived tokens that open GET /events and nothing else', async () => {
    const { url } = await serve();
    expect((await fetch(`${url}/auth/token`)).status).toBe(401);
    const issued = await fetch(`${url}/auth/token`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const { token, expiresAt } = (await issued.json()) as { token: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(60_000);

    const stream = await openEventStream(`${url}/events?token=${encodeURIComponent(token)}`);
    stream.close();
    expect((await fetch(`${url}/events?token=not-a-token`)).status).toBe(401);
    expect((await fetch(`${url}/sessions?token=${encodeURIComponent(token)}`)).status).toBe(401);
    expect((await fetch(`${url}/sessions`, { headers: { cookie: `wsm_session=${token}` } })).status).toBe(401);
    // A key in the query string was never a credential either.
    expect((await fetch(`${url}/sessions?api_key=${KEY}`)).status).toBe(401);
  });
});

describe('/docs in a browser', () => {
  it('sends a page load without credentials to the sign-in page, and works with the cookie', async () => {
    const { url } = await serve();
    const html = { accept: 'text/html,application/xhtml+xml' };
    const bounced = await fetch(`${url}/docs`, { headers: html, redirect: 'manual' });
    expect(bounced.status).toBe(303);
    expect(bounced.headers.get('location')).toBe('/auth/login');
    // Only page loads: a script or the JSON behind the page still gets the coded 401.
    expect((await fetch(`${url}/docs/json`)).status).toBe(401);

    const page = await fetch(`${url}/auth/login`, { headers: html });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'sha256-/);
    const body = await page.text();
    expect(body).toContain('<form id="sign-in">');
    expect(body).not.toMatch(/https?:\/\//);

    const { cookie } = await signIn(url);
    const docs = await fetch(`${url}/docs`, { headers: { ...html, cookie: cookie! }, redirect: 'manual' });
    expect(docs.status).toBe(200);
    const spec = await fetch(`${url}/docs/json`, { headers: { cookie: cookie! } });
    expect(spec.status).toBe(200);
    const document = (await spec.json()) as { paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/auth/login', '/auth/logout', '/auth/token']));
    expect(document.components.securitySchemes.cookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'wsm_session' });
  });
});

describe('/dashboard in a browser', () => {
  it('sends a page load without credentials to the sign-in page, which comes back to the dashboard only', async () => {
    const { url } = await serve();
    const html = { accept: 'text/html,application/xhtml+xml' };
    const bounced = await fetch(`${url}/dashboard`, { headers: html, redirect: 'manual' });
    expect(bounced.status).toBe(303);
    expect(bounced.headers.get('location')).toBe('/auth/login?next=%2Fdashboard');
    // Its scripts are no page loads: the coded 401.
    expect((await fetch(`${url}/dashboard/assets/main.js`)).status).toBe(401);

    // The sign-in page goes on to ?next= only when it is the dashboard (a deep link in it) or /docs.
    const page = await (await fetch(`${url}/auth/login?next=%2Fdashboard`, { headers: html })).text();
    const pattern = /const target = \/(.+)\/\.test\(next\)/.exec(page)?.[1];
    expect(pattern).toBeDefined();
    const allowed = new RegExp(pattern!);
    for (const next of ['/dashboard', '/dashboard#/sessions/shop-42', '/docs', '/docs/static/index.html']) expect(allowed.test(next), next).toBe(true);
    for (const next of ['https://evil.example.net/', '//evil.example.net/dashboard', '/dashboardx', '/\\evil.example.net', 'javascript:alert(1)']) {
      expect(allowed.test(next), next).toBe(false);
    }

    const { cookie } = await signIn(url);
    const dashboard = await fetch(`${url}/dashboard`, { headers: { ...html, cookie: cookie! }, redirect: 'manual' });
    expect([200, 503]).toContain(dashboard.status); // 503: the dashboard was not built (pnpm build builds it)
    expect(dashboard.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const spec = (await (await fetch(`${url}/docs/json`, { headers: { cookie: cookie! } })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths).filter((path) => path.startsWith('/dashboard'))).toEqual([]);
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string): Promise<Response> =>
    fetch(`${url}/sessions`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
    });

  it('answers preflights for CORS_ORIGINS only, with credentials, and lets their pages read idempotent-replayed', async () => {
    const { url } = await serve({ CORS_ORIGINS: 'https://console.example.com, http://localhost:5173' });
    const allowed = await preflight(url, 'https://console.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('x-api-key');

    for (const origin of ['https://evil.example.net', 'https://console.example.com.evil.example.net', 'http://console.example.com']) {
      const refused = await preflight(url, origin);
      expect({ origin, allow: refused.headers.get('access-control-allow-origin') }).toEqual({ origin, allow: null });
    }

    const read = await fetch(`${url}/sessions`, { headers: { origin: 'http://localhost:5173', 'x-api-key': KEY } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(read.headers.get('access-control-expose-headers')).toContain('idempotent-replayed');
    expect(read.headers.get('vary')).toMatch(/origin/i);

    // An EventSource on that page: the stream carries the same CORS headers, or the browser drops it.
    const token = (await (await fetch(`${url}/auth/token`, { headers: { 'x-api-key': KEY } })).json()) as { token: string };
    const controller = new AbortController();
    const stream = await fetch(`${url}/events?token=${encodeURIComponent(token.token)}`, {
      headers: { origin: 'http://localhost:5173' },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(stream.headers.get('access-control-allow-credentials')).toBe('true');
    controller.abort();
  });

  it('sends no CORS header at all without CORS_ORIGINS', async () => {
    const { url } = await serve();
    const refused = await preflight(url, 'https://console.example.com');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const read = await fetch(`${url}/sessions`, { headers: { origin: 'https://console.example.com', 'x-api-key': KEY } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('/metrics and /health', () => {
  it('/metrics takes the key, the cookie or METRICS_TOKEN, and METRICS_TOKEN opens nothing else', async () => {
    const { url } = await serve({ METRICS_TOKEN: 'scraper-token' });
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const scraped = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scraper-token' } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# TYPE');
    expect((await fetch(`${url}/metrics`, { headers: { 'x-api-key': KEY } })).status).toBe(200);
    const { cookie } = await signIn(url);
    expect((await fetch(`${url}/metrics`, { headers: { cookie: cookie! } })).status).toBe(200);
    for (const path of ['/sessions', '/events', '/auth/token', '/openapi.json']) {
      const reply = await fetch(`${url}${path}`, { headers: { authorization: 'Bearer scraper-token' } });
      expect({ path, status: reply.status }).toEqual({ path, status: 401 });
    }
    expect((await signIn(url, 'scraper-token')).response.status).toBe(401);
  });

  it('HEAD /health, like GET /health, needs no key; other HEADs do', async () => {
    const { url } = await serve();
    const head = await fetch(`${url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/sessions`, { method: 'HEAD' })).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { method: 'HEAD' })).status).toBe(401);
  });
});
