import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { STREAM_START } from '../src/events/outbox-store.js';
import { json, useTestApps, waitForSession, type TestApp } from './helpers.js';
import { freePort, startReceiver, type Receiver } from './webhook-receiver.js';

const apps = useTestApps();
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function receiver(port?: number, mode?: 'ok' | 'fail' | 'hang'): Promise<Receiver> {
  const started = await startReceiver(port, mode);
  receivers.push(started);
  return started;
}

async function readySession(test: TestApp, sessionId: string, body: Record<string, unknown> = {}): Promise<string> {
  await test.app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId, ...body }) });
  await waitForSession(test.app, sessionId, 'qr');
  const scanned = await test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` });
  return scanned.json().me.id;
}

const inbound = (test: TestApp, sessionId: string, text: string) =>
  test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/inbound`, ...json({ from: '15550002222@c.us', text }) });

describe('webhooks', () => {
  it('POST every event with the contract headers and a signature that verifies', async () => {
    const hook = await receiver();
    const test = await apps.open({ WEBHOOK_URL: hook.url, WEBHOOK_SECRET: 'whsec-test' });
    await readySession(test, 'signed');
    expect((await inbound(test, 'signed', 'hello')).statusCode).toBe(200);
    // Deliveries run in parallel: wait for both, not for one and assume the other.
    await hook.waitFor(
      (all) =>
        all.some((entry) => entry.envelope.type === 'message.received') &&
        all.some((entry) => entry.envelope.type === 'session.status' && entry.envelope.data.status === 'ready'),
    );

    const types = hook.received.map((entry) => entry.envelope.type);
    expect(types).toEqual(expect.arrayContaining(['session.status', 'session.qr', 'message.received']));
    for (const entry of hook.received) {
      const { headers, body, envelope } = entry;
      expect(envelope).toMatchObject({ id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/), sessionId: 'signed', timestamp: expect.any(String) });
      expect(headers['x-wsm-event-id']).toBe(envelope.id);
      expect(headers['x-wsm-event-type']).toBe(envelope.type);
      expect(Number(headers['x-wsm-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
      const expected = createHmac('sha256', 'whsec-test').update(`${headers['x-wsm-timestamp']}.${body}`).digest('hex');
      expect(headers['x-wsm-signature']).toBe(`sha256=${expected}`);
    }
    const received = hook.received.find((entry) => entry.envelope.type === 'message.received')!;
    expect(received.envelope.data).toMatchObject({ from: '15550002222@c.us', body: 'hello', type: 'chat', hasMedia: false });
    const statuses = hook.received.filter((entry) => entry.envelope.type === 'session.status').map((entry) => entry.envelope.data);
    expect(statuses.map((data) => data.status)).toEqual(expect.arrayContaining(['starting', 'qr', 'authenticated', 'ready']));
    expect(statuses.find((data) => data.status === 'ready')).toMatchObject({ previous: 'authenticated' });
    // Ids sort in the order the events were recorded.
    const ids = hook.received.map((entry) => entry.envelope.id);
    expect([...ids].sort()).toEqual([...hook.received].sort((a, b) => a.envelope.timestamp.localeCompare(b.envelope.timestamp) || a.envelope.id.localeCompare(b.envelope.id)).map((entry) => entry.envelope.id));
  });

  it('deliver every event to a receiver that was down for a while, none missing', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const test = await apps.open({ WEBHOOK_URL: url, WEBHOOK_BACKOFF_MS: '50', WEBHOOK_BACKOFF_MAX_MS: '300' });
    await readySession(test, 'patient');
    for (let index = 0; index < 25; index++) expect((await inbound(test, 'patient', `message ${index}`)).statusCode).toBe(200);
    // Not delivered yet: pending, or `sending` for the moment an attempt is in flight.
    const retrying = (await test.app.inject({ url: '/webhooks/deliveries' })).json().filter((delivery: { status: string }) => delivery.status !== 'delivered');
    expect(retrying.length).toBeGreaterThan(25);
    const attempted = retrying.find((delivery: { lastError: string | null }) => delivery.lastError !== null);
    expect(attempted.lastError).toMatch(/ECONNREFUSED|fetch failed/);

    const hook = await receiver(port);
    const all = await test.app.outbox.eventsAfter(STREAM_START, 10_000);
    await hook.waitFor(() => all.every(({ envelope }) => hook.ids().has(envelope.id)), 30_000);
    const bodies = hook.received.filter((entry) => entry.envelope.type === 'message.received').map((entry) => entry.envelope.data.body);
    expect(new Set(bodies)).toEqual(new Set(Array.from({ length: 25 }, (_, index) => `message ${index}`)));
    expect((await test.app.inject({ url: '/webhooks/deliveries?status=pending' })).json()).toEqual([]);
  });

  it('send a session only the event types its webhooks ask for, and follow webhook updates', async () => {
    const messages = await receiver();
    const everything = await receiver();
    const test = await apps.open();
    await readySession(test, 'picky', { webhooks: [{ url: messages.url, events: ['message.received'] }] });
    await inbound(test, 'picky', 'first');
    await messages.waitFor((all) => all.length === 1);
    expect(messages.received[0]!.envelope).toMatchObject({ type: 'message.received', data: { body: 'first' } });

    const patched = await test.app.inject({ method: 'PATCH', url: '/sessions/picky', ...json({ webhooks: [{ url: everything.url }] }) });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().webhooks).toEqual([{ url: everything.url }]);
    await test.app.inject({ method: 'POST', url: '/sessions/picky/simulate/disconnect' });
    await everything.waitFor((all) => all.some((entry) => entry.envelope.type === 'session.status' && entry.envelope.data.status === 'disconnected'));
    expect(messages.received).toHaveLength(1);
  });

  it('keep deliveries that exhaust their attempts, list them, and redeliver them on request', async () => {
    const hook = await receiver(undefined, 'fail');
    const test = await apps.open({ WEBHOOK_URL: hook.url, WEBHOOK_BACKOFF_MS: '10', WEBHOOK_BACKOFF_MAX_MS: '20', WEBHOOK_MAX_ATTEMPTS: '3' });
    await test.app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'unlucky', start: false }) });
    await test.app.inject({ method: 'POST', url: '/sessions/unlucky/start' });
    await waitForSession(test.app, 'unlucky', 'qr');
    const failed = async () => (await test.app.inject({ url: '/webhooks/deliveries?status=failed&sessionId=unlucky' })).json();
    const deadline = Date.now() + 20_000;
    while ((await failed()).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const list = await failed();
    expect(list.length).toBeGreaterThanOrEqual(3);
    expect(list[0]).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 500, target: hook.url, sessionId: 'unlucky' });
    expect(list[0].lastError).toContain('receiver failing on purpose');

    hook.mode = 'ok';
    // A bare POST, no body at all, means every failed delivery.
    const redelivered = await test.app.inject({ method: 'POST', url: '/webhooks/deliveries/redeliver' });
    expect(redelivered.statusCode).toBe(200);
    expect(redelivered.json().redelivered).toBe(list.length);
    await hook.waitFor((all) => list.every((delivery: { eventId: string }) => all.some((entry) => entry.envelope.id === delivery.eventId)));
    expect(await failed()).toEqual([]);
  });

  it('take a redeliver request with no body, an empty one, {} or one eventId, and refuse anything else', async () => {
    const { app } = await apps.open();
    const redeliver = (request: { headers?: Record<string, string>; payload?: string }) =>
      app.inject({ method: 'POST', url: '/webhooks/deliveries/redeliver', ...request });
    for (const request of [{}, { headers: { 'content-type': 'application/json' } }, json({}), json({ eventId: '01KF0G2CXPZCXSX0J5BSBNAX91' })]) {
      const answer = await redeliver(request);
      expect({ request, status: answer.statusCode, body: answer.json() }).toEqual({ request, status: 200, body: { redelivered: 0 } });
    }
    for (const [body, message] of [
      [[], 'body must be an object'],
      [{ eventID: 'x' }, "body has an unknown field 'eventID'"],
      [{ eventId: 5 }, 'body.eventId must be a string'],
    ] as const) {
      const answer = await redeliver(json(body));
      expect(answer.statusCode).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'WSM_VALIDATION_FAILED', message: `Invalid request: ${message}` });
    }
  });

  it('never let a hung receiver hold up another receiver or the API', async () => {
    const hung = await receiver(undefined, 'hang');
    const fast = await receiver();
    const test = await apps.open({ WEBHOOK_URL: `${hung.url},${fast.url}`, WEBHOOK_TIMEOUT_MS: '30000', WEBHOOK_CONCURRENCY: '2' });
    await readySession(test, 'busy');
    for (let index = 0; index < 20; index++) {
      const started = Date.now();
      expect((await inbound(test, 'busy', `m${index}`)).statusCode).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    await fast.waitFor((all) => all.filter((entry) => entry.envelope.type === 'message.received').length === 20);
    expect(hung.received).toHaveLength(0);
  });
});
