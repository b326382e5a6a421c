import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  json,
  ownedPids,
  noOwnedProcesses,
  useTestApps,
  waitForSession,
} from './helpers.js';

const apps = useTestApps();

describe('a simulated session through the API, with real worker processes', () => {
  it('goes starting → qr → (scan) → ready, serving its QR as JSON and PNG', async () => {
    const { app } = await apps.open();

    const started = await app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'shop-1' }) });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ sessionId: 'shop-1', engine: 'simulated', status: 'starting', desiredState: 'running' });

    const waiting = await waitForSession(app, 'shop-1', 'qr');
    expect(waiting.pid).toBeGreaterThan(0);

    const qr = await app.inject({ url: '/sessions/shop-1/qr' });
    expect(qr.statusCode).toBe(200);
    expect(qr.json().qr).toMatch(/^2@.+,simulated,shop-1$/);

    const png = await app.inject({ url: '/sessions/shop-1/qr', headers: { accept: 'image/png' } });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const pngByQuery = await app.inject({ url: '/sessions/shop-1/qr?format=png' });
    expect(pngByQuery.headers['content-type']).toBe('image/png');

    const code = await app.inject({ method: 'POST', url: '/sessions/shop-1/pairing-code', ...json({ phoneNumber: '+4915550001111' }) });
    expect(code.statusCode).toBe(200);
    expect(code.json().code).toMatch(/^[A-Z0-9]{8}$/);

    const scanned = await app.inject({ method: 'POST', url: '/sessions/shop-1/simulate/scan' });
    expect(scanned.statusCode).toBe(200);
    expect(scanned.json()).toMatchObject({ status: 'ready', me: { id: '4915550001111@c.us' } });
    expect(scanned.json().readyAt).not.toBeNull();

    const noQr = await app.inject({ url: '/sessions/shop-1/qr' });
    expect(noQr.statusCode).toBe(409);
    expect(noQr.json()).toMatchObject({ code: 'WSM_QR_NOT_AVAILABLE', statusCode: 409, error: 'Conflict' });

    const inbound = await app.inject({
      method: 'POST',
      url: '/sessions/shop-1/simulate/inbound',
      ...json({ from: '15550002222@c.us', text: 'hello' }),
    });
    expect(inbound.statusCode).toBe(200);
    expect(inbound.json()).toMatchObject({ from: '15550002222@c.us', to: '4915550001111@c.us', body: 'hello', type: 'chat', hasMedia: false });

    const sent = await app.inject({
      method: 'POST',
      url: '/sessions/shop-1/messages',
      ...json({ to: '15550002222@c.us', text: 'thanks!' }),
    });
    expect(sent.statusCode).toBe(201);
    expect(sent.json()).toMatchObject({ id: expect.stringMatching(/^true_15550002222@c\.us_/), to: '15550002222@c.us' });

    const again = await app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'shop-1' }) });
    expect(again.statusCode).toBe(200);
    expect(again.json().pid).toBe(waiting.pid);
  });

  it('gives one worker to many concurrent starts of the same id', async () => {
    const { app } = await apps.open();
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'busy' }) })),
    );
    const codes = replies.map((reply) => reply.statusCode).sort();
    expect(codes.filter((code) => code === 202)).toHaveLength(1);
    expect(codes.filter((code) => code === 200)).toHaveLength(11);
    const session = await waitForSession(app, 'busy', 'qr');
    expect(ownedPids(apps.dataDir)).toEqual([session.pid]);
    expect(new Set(replies.map((reply) => reply.json().sessionId))).toEqual(new Set(['busy']));
  });

  it('creates with POST /sessions, refuses a duplicate, and lists', async () => {
    const { app } = await apps.open();
    const created = await app.inject({
      method: 'POST',
      url: '/sessions',
      ...json({ sessionId: 'crm-7', start: false, metadata: { tenant: 42 }, webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['message.received'] }] }),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ status: 'stopped', desiredState: 'stopped', pid: null, metadata: { tenant: 42 } });

    const duplicate = await app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'crm-7' }) });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().code).toBe('WSM_SESSION_EXISTS');

    const list = await app.inject({ url: '/sessions' });
    expect(list.json().map((session: { sessionId: string }) => session.sessionId)).toEqual(['crm-7']);

    const missing = await app.inject({ url: '/sessions/nobody' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ statusCode: 404, code: 'WSM_SESSION_NOT_FOUND', error: 'Not Found', message: "Session 'nobody' not found" });
  });

  it('refuses to send through a session that is not ready', async () => {
    const { app } = await apps.open();
    await app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'early' }) });
    await waitForSession(app, 'early', 'qr');
    const reply = await app.inject({ method: 'POST', url: '/sessions/early/messages', ...json({ to: '15550001234@c.us', text: 'hi' }) });
    expect(reply.statusCode).toBe(409);
    expect(reply.json()).toMatchObject({ code: 'WSM_SESSION_NOT_READY', message: "Session 'early' is not ready: its status is 'qr'" });
  });

  it('refuses simulate routes on a webjs session', async () => {
    const { app } = await apps.open();
    await app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'real', engine: 'webjs', start: false }) });
    for (const action of ['scan', 'disconnect']) {
      const reply = await app.inject({ method: 'POST', url: `/sessions/real/simulate/${action}` });
      expect(reply.statusCode).toBe(409);
      expect(reply.json().code).toBe('WSM_NOT_SIMULATED');
    }
  });
});

describe('bad input', () => {
  it('gets 4xx with its code and creates nothing on disk', async () => {
    const { app } = await apps.open({ BODY_LIMIT_BYTES: '2048' });
    const cases = [
      { request: { method: 'POST' as const, url: '/start-session', ...json({ sessionId: '../etc' }) }, status: 400, code: 'WSM_INVALID_SESSION_ID' },
      { request: { method: 'POST' as const, url: '/start-session', ...json({ sessionId: '' }) }, status: 400, code: 'WSM_INVALID_SESSION_ID' },
      { request: { method: 'POST' as const, url: '/start-session', ...json({ sessionId: 'a'.repeat(65) }) }, status: 400, code: 'WSM_INVALID_SESSION_ID' },
      { request: { method: 'POST' as const, url: '/start-session', ...json({ sessionId: '_x' }) }, status: 400, code: 'WSM_INVALID_SESSION_ID' },
      { request: { method: 'GET' as const, url: '/sessions/has.dot' }, status: 400, code: 'WSM_INVALID_SESSION_ID' },
      { request: { method: 'DELETE' as const, url: '/sessions/a%2Fb' }, status: 400, code: 'WSM_INVALID_SESSION_ID' },
      { request: { method: 'POST' as const, url: '/start-session', headers: { 'content-type': 'application/json' }, payload: '{"sessionId":' }, status: 400, code: 'WSM_INVALID_JSON' },
      { request: { method: 'POST' as const, url: '/start-session', ...json({ sessionId: 'ok', engine: 'other' }) }, status: 400, code: 'WSM_VALIDATION_FAILED' },
      { request: { method: 'POST' as const, url: '/start-session', ...json({ sessionId: 'ok', extra: 1 }) }, status: 400, code: 'WSM_VALIDATION_FAILED' },
      { request: { method: 'POST' as const, url: '/start-session', ...json({ sessionId: 'ok', pad: 'x'.repeat(4096) }) }, status: 413, code: 'WSM_BODY_TOO_LARGE' },
      { request: { method: 'POST' as const, url: '/start-session', headers: { 'content-type': 'text/plain' }, payload: 'sessionId=ok' }, status: 415, code: 'WSM_UNSUPPORTED_MEDIA_TYPE' },
      { request: { method: 'GET' as const, url: '/no/such/route' }, status: 404, code: 'WSM_ROUTE_NOT_FOUND' },
    ];
    for (const { request, status, code } of cases) {
      const reply = await app.inject(request);
      expect({ url: request.url, status: reply.statusCode, code: reply.json().code }).toEqual({ url: request.url, status, code });
      expect(reply.json().message).toEqual(expect.any(String));
    }
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect(existsSync(join(apps.dataDir, 'sessions'))).toBe(false);
    const db = new Database(join(apps.dataDir, 'wsm.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('API key', () => {
  it('is required on every route but GET /health, as x-api-key or a bearer token', async () => {
    const { app } = await apps.open({ API_KEY: 's3cret-key' });
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    const missing = await app.inject({ url: '/sessions' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('WSM_UNAUTHORIZED');
    expect((await app.inject({ url: '/sessions', headers: { 'x-api-key': 's3cret-kez' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/sessions', headers: { 'x-api-key': 's3cret' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/sessions', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const unauthorizedStart = await app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'x1' }) });
    expect(unauthorizedStart.statusCode).toBe(401);
    expect(app.sessions.size).toBe(0);
    expect((await app.inject({ url: '/sessions', headers: { 'x-api-key': 's3cret-key' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/sessions', headers: { authorization: 'Bearer s3cret-key' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/no/route', headers: { 'x-api-key': 'nope' } })).statusCode).toBe(401);
  });
});

describe('stop, logout and delete', () => {
  it('do what the contract says, and survive a supervisor restart', async () => {
    let { app, close } = await apps.open();
    for (const id of ['keep', 'halt', 'unlink', 'gone']) {
      await app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: id }) });
      await waitForSession(app, id, 'qr');
      await app.inject({ method: 'POST', url: `/sessions/${id}/simulate/scan` });
    }
    expect(existsSync(join(apps.dataDir, 'sessions', 'unlink', 'simulated', 'auth.json'))).toBe(true);

    const stop = await app.inject({ method: 'POST', url: '/sessions/halt/stop' });
    expect(stop.statusCode).toBe(202);
    expect(stop.json()).toMatchObject({ desiredState: 'stopped' });
    const halted = await waitForSession(app, 'halt', 'stopped');
    expect(halted.pid).toBeNull();

    const logout = await app.inject({ method: 'POST', url: '/sessions/unlink/logout' });
    expect(logout.statusCode).toBe(200);
    expect(logout.json()).toMatchObject({ status: 'stopped', desiredState: 'stopped', me: null, pid: null });
    expect(existsSync(join(apps.dataDir, 'sessions', 'unlink'))).toBe(false);

    const removed = await app.inject({ method: 'DELETE', url: '/sessions/gone' });
    expect(removed.statusCode).toBe(204);
    expect(existsSync(join(apps.dataDir, 'sessions', 'gone'))).toBe(false);
    expect((await app.inject({ url: '/sessions/gone' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/sessions/gone' })).statusCode).toBe(404);

    await close();
    await noOwnedProcesses(apps.dataDir);
    ({ app, close } = await apps.open({}, true));
    await app.sessions.restore();
    const keep = await waitForSession(app, 'keep', 'ready');
    expect(keep.me).not.toBeNull();
    expect(app.sessions.view('halt')).toMatchObject({ status: 'stopped', desiredState: 'stopped', pid: null });
    expect(app.sessions.view('unlink')).toMatchObject({ status: 'stopped', me: null });
    expect(app.sessions.view('gone')).toBeUndefined();
    expect(readdirSync(join(apps.dataDir, 'sessions')).sort()).toEqual(['halt', 'keep']);

    // A logged-out session starts from a new QR; a stopped one comes back without one.
    await app.inject({ method: 'POST', url: '/sessions/unlink/start' });
    await waitForSession(app, 'unlink', 'qr');
    await app.inject({ method: 'POST', url: '/sessions/halt/start' });
    await waitForSession(app, 'halt', 'ready');
  });

  it('restarts a session on request with a new worker and keeps its pairing', async () => {
    const { app } = await apps.open();
    await app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'again' }) });
    await waitForSession(app, 'again', 'qr');
    const ready = (await app.inject({ method: 'POST', url: '/sessions/again/simulate/scan' })).json();
    const restart = await app.inject({ method: 'POST', url: '/sessions/again/restart' });
    expect(restart.statusCode).toBe(202);
    const back = await waitForSession(app, 'again', (session) => session.status === 'ready' && session.pid !== ready.pid);
    expect(back.restarts).toBe(0);
    expect(back.me).toEqual(ready.me);
  });
});
