import { afterEach, describe, expect, it } from 'vitest';
import { STREAM_START } from '../src/events/outbox-store.js';
import { json, recordStatuses, useTestApps, waitForSession, type TestApp } from './helpers.js';
import { openEventStream, type SseClient } from './sse-client.js';

const apps = useTestApps();
const streams: SseClient[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

async function listening(env: Record<string, string> = {}): Promise<{ test: TestApp; base: string }> {
  const test = await apps.open(env);
  const base = await test.app.listen({ port: 0, host: '127.0.0.1' });
  return { test, base };
}

async function stream(url: string, headers?: Record<string, string>): Promise<SseClient> {
  const client = await openEventStream(url, headers);
  streams.push(client);
  return client;
}

async function readySession(test: TestApp, sessionId: string): Promise<void> {
  await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) });
  await waitForSession(test.app, sessionId, 'qr');
  await test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` });
}

const inbound = (test: TestApp, sessionId: string, text: string) =>
  test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/inbound`, ...json({ from: '15550002222@c.us', text }) });

describe('GET /events', () => {
  it('streams live envelopes, filtered by session and type', async () => {
    const { test, base } = await listening();
    await readySession(test, 'left');
    await readySession(test, 'right');
    const all = await stream(`${base}/events`);
    const leftMessages = await stream(`${base}/events?sessionId=left&types=message.received`);
    await inbound(test, 'left', 'to left');
    await inbound(test, 'right', 'to right');
    await all.waitFor(2);
    await leftMessages.waitFor(1);
    expect(all.events.map((event) => event.envelope.data.body)).toEqual(['to left', 'to right']);
    expect(leftMessages.events).toHaveLength(1);
    expect(leftMessages.events[0]!.envelope).toMatchObject({ sessionId: 'left', type: 'message.received', data: { body: 'to left' } });
    expect(leftMessages.events[0]!.id).toBe(leftMessages.events[0]!.envelope.id);
  });

  it('resumes from Last-Event-ID with every later event first, then live, without a gap or a duplicate', async () => {
    const { test, base } = await listening();
    await readySession(test, 'resume');
    const first = await stream(`${base}/events?sessionId=resume`);
    for (let index = 0; index < 5; index++) await inbound(test, 'resume', `before ${index}`);
    await first.waitFor(5);
    const lastSeen = first.events.at(-1)!.id;
    first.close();

    for (let index = 0; index < 30; index++) await inbound(test, 'resume', `missed ${index}`);
    const resumed = await stream(`${base}/events?sessionId=resume`, { 'last-event-id': lastSeen });
    await resumed.waitFor(30);
    await inbound(test, 'resume', 'live');
    await resumed.waitFor(31);
    const bodies = resumed.events.map((event) => event.envelope.data.body);
    expect(bodies).toEqual([...Array.from({ length: 30 }, (_, index) => `missed ${index}`), 'live']);
    const ids = resumed.events.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => id > lastSeen)).toBe(true);
  });

  it('refuses unknown event types', async () => {
    const { test } = await listening();
    const reply = await test.app.inject({ url: '/events?types=message.received,message.exploded' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ code: 'WSM_VALIDATION_FAILED', message: expect.stringContaining('message.exploded') });
  });
});

describe('POST /sessions/:id/messages with Idempotency-Key', () => {
  it('returns the first result for the same key and sends once, across a worker kill -9 and a supervisor restart', async () => {
    let test = await apps.open();
    await readySession(test, 'once');
    const send = (app: TestApp, text = 'pay 10 EUR', key = 'order-77') =>
      app.app.inject({ method: 'POST', url: '/sessions/once/messages', headers: { 'content-type': 'application/json', 'idempotency-key': key }, payload: JSON.stringify({ to: '15550002222@c.us', text }) });

    const first = await send(test);
    expect(first.statusCode).toBe(201);
    const again = await send(test);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');

    const before = test.app.sessions.view('once')!;
    process.kill(before.pid!, 'SIGKILL');
    await waitForSession(test.app, 'once', (session) => session.status === 'ready' && session.pid !== before.pid);
    expect((await send(test)).json()).toEqual(first.json());

    await test.close();
    test = await apps.open({}, true);
    await test.app.sessions.restore();
    await waitForSession(test.app, 'once', 'ready');
    expect((await send(test)).json()).toEqual(first.json());

    const misuse = await send(test, 'pay 1000 EUR');
    expect(misuse.statusCode).toBe(422);
    expect(misuse.json().code).toBe('WSM_IDEMPOTENCY_KEY_REUSED');

    const other = await send(test, 'pay 10 EUR', 'order-78');
    expect(other.json().id).not.toBe(first.json().id);
    const sentEvents = (await test.app.outbox.eventsAfter(STREAM_START, 10_000)).filter(({ envelope }) => envelope.type === 'message.sent');
    expect(sentEvents.map(({ envelope }) => envelope.data)).toEqual([
      { id: first.json().id, to: '15550002222@c.us', type: 'chat', body: 'pay 10 EUR', media: null, replyTo: null, idempotencyKey: 'order-77' },
      { id: other.json().id, to: '15550002222@c.us', type: 'chat', body: 'pay 10 EUR', media: null, replyTo: null, idempotencyKey: 'order-78' },
    ]);
  });

  it('lets concurrent requests with one key send once', async () => {
    const test = await apps.open();
    await readySession(test, 'race');
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        test.app.inject({ method: 'POST', url: '/sessions/race/messages', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, payload: JSON.stringify({ to: '15550001234@c.us', text: 'x' }) }),
      ),
    );
    expect(new Set(replies.map((reply) => reply.json().id)).size).toBe(1);
    const sent = (await test.app.outbox.eventsAfter(STREAM_START, 10_000)).filter(({ envelope }) => envelope.type === 'message.sent');
    expect(sent).toHaveLength(1);

    // Two different messages racing under one key: one is sent, the other refused.
    const racing = await Promise.all(
      ['first', 'second'].map((text) =>
        test.app.inject({ method: 'POST', url: '/sessions/race/messages', headers: { 'content-type': 'application/json', 'idempotency-key': 'k2' }, payload: JSON.stringify({ to: '15550001234@c.us', text }) }),
      ),
    );
    expect(racing.map((reply) => reply.statusCode).sort()).toEqual([201, 422]);
  });
});

describe('GET /sessions/:id/logs', () => {
  it('serves the session records of supervisor and worker, oldest first, without message bodies or secrets', async () => {
    const test = await apps.open({ API_KEY: 'key-that-must-not-leak', WEBHOOK_SECRET: 'secret-that-must-not-leak' });
    const headers = { 'x-api-key': 'key-that-must-not-leak', 'content-type': 'application/json' };
    await test.app.inject({ method: 'POST', url: '/start-session', headers, payload: JSON.stringify({ sessionId: 'chatty' }) });
    await waitForSession(test.app, 'chatty', 'qr');
    await test.app.inject({ method: 'POST', url: '/sessions/chatty/simulate/scan', headers });
    const inbound = await test.app.inject({ method: 'POST', url: '/sessions/chatty/simulate/inbound', headers, payload: JSON.stringify({ from: '15550001234@c.us', text: 'a very private body' }) });
    expect(inbound.statusCode).toBe(200);
    await test.app.inject({ method: 'POST', url: '/sessions/chatty/stop', headers });
    await waitForSession(test.app, 'chatty', 'stopped');

    const reply = await test.app.inject({ url: '/sessions/chatty/logs?limit=500', headers });
    expect(reply.statusCode).toBe(200);
    const records = reply.json() as Array<{ time: string; level: string; source: string; msg: string }>;
    expect(records.length).toBeGreaterThan(3);
    expect(records.map((record) => record.time)).toEqual([...records.map((record) => record.time)].sort());
    expect(records.some((record) => record.source === 'supervisor' && record.msg === 'session ready')).toBe(true);
    expect(records.some((record) => record.source === 'worker' && record.msg === 'worker stopping')).toBe(true);
    const text = JSON.stringify(records);
    expect(text).not.toContain('a very private body');
    expect(text).not.toContain('key-that-must-not-leak');
    expect(text).not.toContain('secret-that-must-not-leak');
    expect((await test.app.inject({ url: '/sessions/chatty/logs?limit=2', headers })).json()).toHaveLength(2);
    expect((await test.app.inject({ url: '/sessions/nobody/logs', headers })).statusCode).toBe(404);
  });

  it("carry a running simulated worker's own records, at the default level", async () => {
    const test = await apps.open({ LOG_LEVEL: 'info' });
    await readySession(test, 'talker');
    const statuses = recordStatuses(test.app, 'talker');
    await test.app.inject({ method: 'POST', url: '/sessions/talker/simulate/disconnect' });
    const session = await waitForSession(test.app, 'talker', () => statuses.join() === 'disconnected,ready');
    // On the one IPC channel a worker's records come before the replies and statuses that follow them.
    const records = (await test.app.inject({ url: '/sessions/talker/logs?limit=500' })).json() as Array<Record<string, unknown>>;
    const worker = records.filter((record) => record.source === 'worker');
    expect(worker.map((record) => record.msg)).toEqual(
      expect.arrayContaining([
        'starting the engine',
        'no saved pairing: showing a QR code for the simulated phone',
        'engine started',
        'the simulated phone linked the session',
        'simulated connection drop; reconnecting',
        'simulated connection restored',
      ]),
    );
    expect(worker.find((record) => record.msg === 'engine started')).toMatchObject({ level: 'info', engine: 'simulated' });
    expect(worker.find((record) => record.msg === 'the simulated phone linked the session')).toMatchObject({ me: session.me?.id });
  });
});
