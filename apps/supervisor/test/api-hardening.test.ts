/**
 * The HTTP surface taken strictly: bodies validated as written, bounded metadata, checked webhook targets and
 * recipients, coded errors for everything Fastify and Node refuse, listing at scale, waiting on a status.
 */
import { SqliteDatabase } from '../src/store/sqlite.js';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { guardedLookup, BlockedAddressError } from '../src/net/address-guard.js';
import { SessionLogs } from '../src/session-logs.js';
import { SqliteSessionStore } from '../src/store/sqlite-session-store.js';
import type { SessionPatch } from '../src/session/session-record.js';
import type { UpdateOptions, UpdateResult } from '../src/store/session-store.js';
import { eventually, json, noOwnedProcesses, removeDir, tempDataDir, testConfig, useTestApps, waitForSession, type TestApp } from './helpers.js';
import { startReceiver } from './webhook-receiver.js';

const apps = useTestApps();

const post = (test: TestApp, url: string, body: unknown) => test.app.inject({ method: 'POST', url, ...json(body) });
const raw = (test: TestApp, url: string, payload: string, method = 'POST') =>
  test.app.inject({ method: method as 'POST', url, headers: { 'content-type': 'application/json' }, payload });

async function readySession(test: TestApp, sessionId: string): Promise<void> {
  await post(test, '/start-session', { sessionId });
  await waitForSession(test.app, sessionId, 'qr');
  await test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` });
}

/** A raw HTTP/1.1 exchange, for what fetch and inject refuse to send (oversized request lines and headers). */
function rawHttp(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bodies are taken as written', () => {
  it('refuses values of the wrong type instead of converting them, and creates nothing', async () => {
    const test = await apps.open();
    for (const sessionId of [123, true, ['a'], null]) {
      const reply = await post(test, '/sessions', { sessionId });
      expect(reply.statusCode).toBe(400);
      expect(reply.json().code).toBe('WSM_INVALID_SESSION_ID');
    }
    const start = await post(test, '/sessions', { sessionId: 'typed', start: 'false' });
    expect(start.json()).toMatchObject({ statusCode: 400, code: 'WSM_VALIDATION_FAILED', message: 'Invalid request: body.start must be a boolean' });
    const engine = await post(test, '/start-session', { sessionId: 'typed', engine: 'chrome' });
    expect(engine.json().message).toBe('Invalid request: body.engine must be one of: "webjs", "simulated"');
    const unknown = await post(test, '/sessions', { sessionId: 'typed', colour: 'red' });
    expect(unknown.json().message).toBe("Invalid request: body has an unknown field 'colour'");
    expect((await test.app.inject({ url: '/sessions' })).json()).toEqual([]);

    await readySession(test, 'strict');
    const cases: Array<[unknown, string]> = [
      [{ to: 15550002222, text: 'hi' }, 'body.to must be a string'],
      [{ to: '15550002222', text: 12345 }, 'body.text must be a string'],
      [{ to: '15550002222', text: ['a'] }, 'body.text must be a string'],
      [{ to: '15550002222', text: null }, 'body.text must be a string'],
    ];
    for (const [body, message] of cases) {
      const reply = await post(test, '/sessions/strict/messages', body);
      expect(reply.statusCode).toBe(400);
      expect(reply.json().message).toBe(`Invalid request: ${message}`);
    }
    const inbound = await post(test, '/sessions/strict/simulate/inbound', { from: 15550002222, text: 'hi' });
    expect(inbound.json().message).toBe('Invalid request: body.from must be a string');
  });

  it('says when a body carries a prototype key, and refuses charsets it does not decode', async () => {
    const test = await apps.open();
    for (const body of ['{"sessionId":"p","__proto__":{"admin":true}}', '{"sessionId":"p","metadata":{"constructor":{"prototype":{}}}}']) {
      const reply = await raw(test, '/sessions', body);
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ code: 'WSM_FORBIDDEN_KEY', message: expect.stringContaining("'__proto__'") });
    }
    const utf16 = await test.app.inject({
      method: 'POST',
      url: '/sessions',
      headers: { 'content-type': 'application/json; charset=utf-16' },
      payload: Buffer.from('{"sessionId":"u"}', 'utf16le'),
    });
    expect(utf16.statusCode).toBe(415);
    expect(utf16.json()).toMatchObject({ code: 'WSM_UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('must be UTF-8') });
    const utf8 = await test.app.inject({
      method: 'POST',
      url: '/sessions',
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      payload: '{"sessionId":"u","start":false}',
    });
    expect(utf8.statusCode).toBe(201);
    const broken = await raw(test, '/sessions', '{"sessionId":');
    expect(broken.json()).toMatchObject({ statusCode: 400, code: 'WSM_INVALID_JSON' });
  });
});

describe('metadata', () => {
  const deep = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

  it('is bounded in depth and size, on create and on PATCH, and a refused PATCH changes nothing', async () => {
    const test = await apps.open();
    const create = await raw(test, '/sessions', `{"sessionId":"m","start":false,"metadata":${deep(5000)}}`);
    expect(create.statusCode).toBe(400);
    expect(create.json()).toMatchObject({ code: 'WSM_METADATA_TOO_LARGE', message: expect.stringContaining('deeper than 8') });
    expect(test.app.sessions.size).toBe(0);

    expect((await post(test, '/sessions', { sessionId: 'm', start: false, metadata: { crm: { id: 7 } } })).statusCode).toBe(201);
    const patch = await raw(test, '/sessions/m', `{"metadata":${deep(5000)}}`, 'PATCH');
    expect(patch.statusCode).toBe(400);
    expect(patch.json().code).toBe('WSM_METADATA_TOO_LARGE');
    const big = await test.app.inject({ method: 'PATCH', url: '/sessions/m', ...json({ metadata: { blob: 'x'.repeat(1_000_000) } }) });
    expect(big.json()).toMatchObject({ statusCode: 400, code: 'WSM_METADATA_TOO_LARGE', message: expect.stringContaining('bytes') });

    const list = await test.app.inject({ url: '/sessions' });
    expect(list.statusCode).toBe(200);
    expect(list.json()[0].metadata).toEqual({ crm: { id: 7 } });
    expect((await test.app.inject({ url: '/sessions/m' })).json().metadata).toEqual({ crm: { id: 7 } });
  });

  it('a PATCH the store cannot take shows nothing until it is durable, and answers 503 past STORE_TIMEOUT_MS', async () => {
    const dataDir = tempDataDir();
    class FailingStore extends SqliteSessionStore {
      failing = false;
      attempts = 0;
      override async update(sessionId: string, expectedVersion: number, patch: SessionPatch, options?: UpdateOptions): Promise<UpdateResult> {
        if (this.failing && patch.metadata !== undefined) {
          this.attempts++;
          throw new Error('disk full');
        }
        return super.update(sessionId, expectedVersion, patch, options);
      }
    }
    const store = new FailingStore(SqliteDatabase.open(dataDir));
    const config = testConfig(dataDir, { STORE_TIMEOUT_MS: '300' });
    const sessionLogs = new SessionLogs(100);
    const logger = createLogger('fatal', sessionLogs, new Writable({ write: (_chunk, _encoding, done) => done() }));
    const app = await buildApp({ config, logger, sessionLogs, store });
    try {
      await app.ready();
      await app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'w', start: false, metadata: { v: 1 } }) });
      store.failing = true;
      const failed = await app.inject({ method: 'PATCH', url: '/sessions/w', ...json({ metadata: { v: 2 } }) });
      expect(failed.json()).toMatchObject({ statusCode: 503, code: 'WSM_STORE_UNAVAILABLE' });
      expect(store.attempts).toBeGreaterThan(0);
      // What the API shows is what the store holds, for everyone, while the write waits.
      expect((await app.inject({ url: '/sessions/w' })).json().metadata).toEqual({ v: 1 });
      expect((await store.get('w'))?.metadata).toEqual({ v: 1 });
      expect((await app.inject({ url: '/sessions' })).statusCode).toBe(200);
      // The store is back: the change kept its place in line and lands.
      store.failing = false;
      await eventually(async () => (await store.get('w'))?.metadata.v === 2);
      expect((await app.inject({ url: '/sessions/w' })).json().metadata).toEqual({ v: 2 });
      const next = await app.inject({ method: 'PATCH', url: '/sessions/w', ...json({ metadata: { v: 3 } }) });
      expect(next.json().metadata).toEqual({ v: 3 });
      expect((await store.get('w'))?.metadata).toEqual({ v: 3 });
    } finally {
      await app.close();
      await noOwnedProcesses(dataDir);
      removeDir(dataDir);
    }
  });
});

describe('webhook targets', () => {
  it('must be http(s) URLs with a host and known event types; credentials are masked wherever shown', async () => {
    const test = await apps.open({ WEBHOOK_MAX_ATTEMPTS: '1' });
    const refused: Array<[unknown, string]> = [
      [{ url: 'http://' }, 'WSM_INVALID_WEBHOOK_URL'],
      [{ url: 'https://exa mple.com/x' }, 'WSM_INVALID_WEBHOOK_URL'],
      [{ url: 'ftp://example.com/x' }, 'WSM_VALIDATION_FAILED'],
      [{ url: 'https://example.com/x', events: ['message.received', 'message.deleted'] }, 'WSM_VALIDATION_FAILED'],
    ];
    for (const [target, code] of refused) {
      const reply = await post(test, '/sessions', { sessionId: 'hooks', start: false, webhooks: [target] });
      expect(reply.statusCode, JSON.stringify(target)).toBe(400);
      expect(reply.json().code).toBe(code);
    }
    const unknownType = await post(test, '/sessions', { sessionId: 'hooks', webhooks: [{ url: 'https://example.com', events: ['message.deleted'] }] });
    expect(unknownType.json().message).toContain('must be one of: "session.status"');

    const receiver = await startReceiver();
    const closed = await startReceiver();
    await closed.close();
    try {
      const secretUrl = receiver.url.replace('http://', 'http://hook:s3cr3t-token@');
      const created = await post(test, '/sessions', { sessionId: 'hooks', webhooks: [{ url: secretUrl }] });
      expect(created.statusCode).toBe(201);
      expect(JSON.stringify(created.json())).not.toContain('s3cr3t-token');
      expect(created.json().webhooks[0].url).toContain('hook:***@');
      await receiver.waitFor((received) => received.length > 0);
      expect(receiver.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('hook:s3cr3t-token').toString('base64')}`);
      expect((await test.app.inject({ url: '/sessions' })).body).not.toContain('s3cr3t-token');

      const deadUrl = closed.url.replace('http://', 'http://hook:d34d-token@');
      await post(test, '/sessions', { sessionId: 'dead-hooks', webhooks: [{ url: deadUrl }] });
      let deliveries: Array<{ target: string }> = [];
      for (let attempt = 0; attempt < 200 && deliveries.length === 0; attempt++) {
        deliveries = (await test.app.inject({ url: '/webhooks/deliveries?status=failed' })).json();
        if (deliveries.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(deliveries.length).toBeGreaterThan(0);
      for (const delivery of deliveries) expect(delivery.target).toContain('hook:***@');
      expect(JSON.stringify(deliveries)).not.toContain('d34d-token');

      const discarded = await test.app.inject({ method: 'DELETE', url: '/webhooks/deliveries?status=failed' });
      expect(discarded.statusCode).toBe(200);
      expect(discarded.json().discarded).toBeGreaterThan(0);
      expect((await test.app.inject({ url: '/webhooks/deliveries?status=failed' })).json()).toEqual([]);
      const notFailed = await test.app.inject({ method: 'DELETE', url: '/webhooks/deliveries?status=pending' });
      expect(notFailed.json()).toMatchObject({ statusCode: 400, message: expect.stringContaining('must be one of: "failed"') });
    } finally {
      await receiver.close();
    }
  });

  it('with BLOCK_PRIVATE_ADDRESSES, refuses targets on loopback, private, link-local and metadata addresses', async () => {
    const test = await apps.open({ BLOCK_PRIVATE_ADDRESSES: 'true' });
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://169.254.169.254/latest', 'http://10.0.0.8/', 'http://[::1]/x']) {
      const reply = await post(test, '/sessions', { sessionId: 'guarded', start: false, webhooks: [{ url }] });
      expect(reply.statusCode, url).toBe(400);
      expect(reply.json().code, url).toBe('WSM_ADDRESS_BLOCKED');
    }
    const unresolvable = await post(test, '/sessions', { sessionId: 'guarded', start: false, webhooks: [{ url: 'http://no-such-host.invalid/' }] });
    expect(unresolvable.json()).toMatchObject({ code: 'WSM_INVALID_WEBHOOK_URL', message: expect.stringContaining('does not resolve') });
    expect(test.app.sessions.size).toBe(0);
  });

  it('the guard also refuses at connection time, when a name resolves to a private address later', async () => {
    const error = await new Promise<unknown>((resolve) => {
      const req = httpRequest({ host: 'localhost', port: 9, path: '/', lookup: guardedLookup }, () => resolve(undefined));
      req.on('error', resolve);
      req.end();
    });
    expect(error).toBeInstanceOf(BlockedAddressError);
  });
});

describe('recipients', () => {
  it('are a phone number or a WhatsApp id, normalized in the answer', async () => {
    const test = await apps.open();
    await readySession(test, 'sender');
    const bad = await post(test, '/sessions/sender/messages', { to: 'not-a-number', text: 'hi' });
    expect(bad.json()).toMatchObject({ statusCode: 400, code: 'WSM_INVALID_CHAT_ID', message: expect.stringContaining('body.to') });
    const phone = await post(test, '/sessions/sender/messages', { to: '+1 (555) 000-2222', text: 'hi' });
    expect(phone.statusCode).toBe(201);
    expect(phone.json().to).toBe('15550002222@c.us');
    const group = await post(test, '/sessions/sender/messages', { to: '120363000000000000@g.us', text: 'hi' });
    expect(group.json().to).toBe('120363000000000000@g.us');
    const inbound = await post(test, '/sessions/sender/simulate/inbound', { from: '+49 155 5000 1111', text: 'hello' });
    expect(inbound.json().from).toBe('4915550001111@c.us');
  });
});

describe('events', () => {
  it('refuse a resume point that is no event id', async () => {
    const test = await apps.open();
    const header = await test.app.inject({ url: '/events', headers: { 'last-event-id': 'garbage' } });
    expect(header.json()).toMatchObject({ statusCode: 400, code: 'WSM_INVALID_EVENT_ID', message: expect.stringContaining('Last-Event-ID') });
    const query = await test.app.inject({ url: '/events?lastEventId=01HZZZ' });
    expect(query.json()).toMatchObject({ statusCode: 400, code: 'WSM_INVALID_EVENT_ID', message: expect.stringContaining('lastEventId') });
  });
});

describe('errors Fastify and Node raise carry a WSM_ code', () => {
  it('for bad URLs, overlong parameters, URLs and headers', async () => {
    const test = await apps.open({ API_KEY: 'k3y-for-tests' });
    const key = { 'x-api-key': 'k3y-for-tests' };
    const badUrl = await test.app.inject({ url: '/sessions/%ZZ', headers: key });
    expect(badUrl.json()).toMatchObject({ statusCode: 400, code: 'WSM_BAD_URL' });
    const long = 'a'.repeat(150);
    expect((await test.app.inject({ url: `/sessions/${long}` })).json()).toMatchObject({ statusCode: 401, code: 'WSM_UNAUTHORIZED' });
    expect((await test.app.inject({ url: `/sessions/${long}`, headers: key })).json()).toMatchObject({
      statusCode: 400,
      code: 'WSM_INVALID_SESSION_ID',
    });
    expect((await test.app.inject({ url: `/sessions/${'a'.repeat(3000)}`, headers: key })).json()).toMatchObject({
      statusCode: 414,
      code: 'WSM_URI_TOO_LONG',
    });

    await test.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = test.app.server.address() as AddressInfo;
    const hugeUrl = await rawHttp(port, `/sessions/${'a'.repeat(100_000)}`, key);
    expect(hugeUrl.status).toBe(431);
    expect(JSON.parse(hugeUrl.body)).toMatchObject({ statusCode: 431, code: 'WSM_HEADERS_TOO_LARGE' });
    const hugeHeader = await rawHttp(port, '/health', { 'x-padding': 'p'.repeat(20_000) });
    expect(hugeHeader.status).toBe(431);
    expect(JSON.parse(hugeHeader.body).code).toBe('WSM_HEADERS_TOO_LARGE');
  });
});

describe('GET /sessions at scale', () => {
  it('filters by status and engine and pages with a cursor', async () => {
    const test = await apps.open();
    for (let index = 0; index < 25; index++) {
      await post(test, '/sessions', { sessionId: `s-${String(index).padStart(2, '0')}`, start: false });
    }
    await post(test, '/sessions', { sessionId: 'webjs-1', engine: 'webjs', start: false });
    await readySession(test, 'live');

    const ready = await test.app.inject({ url: '/sessions?status=ready' });
    expect(ready.json().map((session: { sessionId: string }) => session.sessionId)).toEqual(['live']);
    const several = await test.app.inject({ url: '/sessions?status=ready,stopped&engine=webjs' });
    expect(several.json().map((session: { sessionId: string }) => session.sessionId)).toEqual(['webjs-1']);
    const wrong = await test.app.inject({ url: '/sessions?status=sleeping' });
    expect(wrong.json()).toMatchObject({ statusCode: 400, message: expect.stringContaining('allowed: starting, qr') });

    const seen: string[] = [];
    let next: string | undefined = '/sessions?limit=10';
    let pages = 0;
    while (next !== undefined) {
      const page = await test.app.inject({ url: next });
      expect(page.headers['x-total-count']).toBe('27');
      seen.push(...page.json().map((session: { sessionId: string }) => session.sessionId));
      const link = page.headers.link as string | undefined;
      next = link === undefined ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(27);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(27);
  });
});

describe('waiting on a status', () => {
  it('answers once the session reaches it, and says so when it will not', async () => {
    const test = await apps.open();
    await post(test, '/start-session', { sessionId: 'patient' });
    const qr = await test.app.inject({ url: '/sessions/patient?wait=qr' });
    expect(qr.json()).toMatchObject({ status: 'qr' });
    expect((await test.app.inject({ url: '/sessions/patient/qr' })).statusCode).toBe(200);
    const tooSoon = await test.app.inject({ url: '/sessions/patient?wait=ready&timeout=1' });
    expect(tooSoon.json()).toMatchObject({ statusCode: 409, code: 'WSM_WAIT_TIMEOUT' });
    await post(test, '/sessions', { sessionId: 'idle', start: false });
    const never = await test.app.inject({ url: '/sessions/idle?wait=ready' });
    expect(never.json()).toMatchObject({ statusCode: 409, code: 'WSM_WAIT_SETTLED' });
  });
});
