/**
 * Media end to end on the simulated engine: sends by upload, URL (a real local HTTP server) and base64, with
 * the bytes back from GET .../media equal to those sent; received media in `message.received`, downloaded at
 * arrival and still served after the worker restarted or stopped; idempotent uploads; what a delete removes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, mediaFixture, multipartForm, serveFiles, useTestApps, waitForSession, type FileServer, type TestApp } from './helpers.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const apps = useTestApps();
const JPEG = readFileSync(mediaFixture('image.jpg'));
const PDF = readFileSync(mediaFixture('document.pdf'));
const VOICE = readFileSync(mediaFixture('voice.ogg'));
const TO = '+1 555 000 2222';

let receiver: Receiver;
let files: FileServer;
beforeAll(async () => {
  receiver = await startReceiver();
  files = await serveFiles({ '/invoice.pdf': { contentType: 'application/pdf', body: PDF } });
});
afterAll(async () => {
  await receiver.close();
  await files.close();
});

async function readySession(sessionId: string, env: Record<string, string> = {}): Promise<TestApp> {
  const test = await apps.open({ WEBHOOK_URL: receiver.url, ...env });
  expect((await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) })).statusCode).toBe(202);
  await waitForSession(test.app, sessionId, 'qr');
  await test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` });
  await waitForSession(test.app, sessionId, 'ready');
  return test;
}


const event = async (sessionId: string, type: string, id: string) => {
  const find = () => receiver.received.find((entry) => entry.envelope.sessionId === sessionId && entry.envelope.type === type && entry.envelope.data.id === id);
  await receiver.waitFor(() => find() !== undefined);
  return find()!.envelope.data;
};

const mediaOf = (test: TestApp, sessionId: string, id: string) =>
  test.app.inject({ url: `/sessions/${sessionId}/messages/${encodeURIComponent(id)}/media` });

describe('media on a simulated session', () => {
  it('sends an upload, a URL and base64; each comes back byte for byte, typed as WhatsApp types it', async () => {
    const test = await readySession('out-1');
    const spool = test.config.media.spoolDir;

    const photo = await test.app.inject({
      method: 'POST',
      url: '/sessions/out-1/messages',
      ...multipartForm({ to: TO, caption: 'your order, packed' }, [{ filename: 'photo.jpg', contentType: 'image/jpeg', data: JPEG }]),
    });
    expect(photo.statusCode).toBe(201);
    expect(photo.json()).toMatchObject({ to: '15550002222@c.us', type: 'image' });
    const back = await mediaOf(test, 'out-1', photo.json().id);
    expect(back.statusCode).toBe(200);
    expect(back.headers['content-type']).toBe('image/jpeg');
    expect(back.headers['content-disposition']).toBe("inline; filename*=UTF-8''photo.jpg");
    expect(back.rawPayload.equals(JPEG)).toBe(true);
    expect(await event('out-1', 'message.sent', photo.json().id)).toMatchObject({
      type: 'image',
      body: 'your order, packed',
      media: { mimetype: 'image/jpeg', filename: 'photo.jpg', size: JPEG.length },
    });

    const invoice = await test.app.inject({ method: 'POST', url: '/sessions/out-1/messages', ...json({ to: TO, media: { url: `${files.url}/invoice.pdf` } }) });
    expect(invoice.statusCode).toBe(201);
    expect(invoice.json().type).toBe('document');
    const pdf = await mediaOf(test, 'out-1', invoice.json().id);
    expect([pdf.headers['content-type'], pdf.headers['content-disposition']]).toEqual(['application/pdf', "inline; filename*=UTF-8''invoice.pdf"]);
    expect(pdf.rawPayload.equals(PDF)).toBe(true);

    const voice = await test.app.inject({
      method: 'POST',
      url: '/sessions/out-1/messages',
      ...json({ to: TO, media: { data: VOICE.toString('base64'), mimetype: 'audio/ogg; codecs=opus' }, asVoice: true }),
    });
    expect([voice.statusCode, voice.json().type]).toEqual([201, 'ptt']);
    expect((await mediaOf(test, 'out-1', voice.json().id)).rawPayload.equals(VOICE)).toBe(true);

    const missing = await test.app.inject({ method: 'POST', url: '/sessions/out-1/messages', ...json({ to: TO, media: { url: `${files.url}/nothing.pdf` } }) });
    expect([missing.statusCode, missing.json().code]).toEqual([422, 'WSM_MEDIA_FETCH_FAILED']);
    // Every file either moved into the store or was removed.
    expect(readdirSync(spool)).toEqual([]);
  });

  it('sends an upload retried under one Idempotency-Key once', async () => {
    const test = await readySession('once-1');
    const send = () => {
      const upload = multipartForm({ to: TO }, [{ filename: 'a.pdf', contentType: 'application/pdf', data: PDF }]);
      return test.app.inject({
        method: 'POST',
        url: '/sessions/once-1/messages',
        headers: { ...upload.headers, 'idempotency-key': 'invoice-1001' },
        payload: upload.payload,
      });
    };
    const first = await send();
    const second = await send();
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    // The same key with other bytes is another message: refused.
    const other = await test.app.inject({
      method: 'POST',
      url: '/sessions/once-1/messages',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'invoice-1001' },
      payload: JSON.stringify({ to: TO, media: { data: JPEG.toString('base64') } }),
    });
    expect([other.statusCode, other.json().code]).toEqual([422, 'WSM_IDEMPOTENCY_KEY_REUSED']);
    await event('once-1', 'message.sent', first.json().id);
    const sent = receiver.received.filter((entry) => entry.envelope.sessionId === 'once-1' && entry.envelope.type === 'message.sent');
    expect(sent).toHaveLength(1);
    expect(readdirSync(test.config.media.spoolDir)).toEqual([]);
  });

  it('receives media: described in message.received, kept at arrival, served after a restart and while stopped', async () => {
    const test = await readySession('in-1');
    const inbound = await test.app.inject({
      method: 'POST',
      url: '/sessions/in-1/simulate/inbound',
      ...json({ from: TO, text: 'the contract', media: { data: PDF.toString('base64'), mimetype: 'application/pdf', filename: 'contract.pdf' } }),
    });
    expect(inbound.statusCode).toBe(200);
    const message = inbound.json();
    expect(message).toMatchObject({ type: 'document', hasMedia: true, body: 'the contract', media: { mimetype: 'application/pdf', filename: 'contract.pdf', size: PDF.length } });
    expect(await event('in-1', 'message.received', message.id)).toMatchObject({ media: { mimetype: 'application/pdf', filename: 'contract.pdf', size: PDF.length } });
    // Downloaded at arrival, without anyone asking.
    const sessionMedia = join(test.config.media.storeDir, 'in-1');
    // The directory itself appears with the first download: until then there is nothing to list.
    const kept = (): string[] => (existsSync(sessionMedia) ? readdirSync(sessionMedia).filter((name) => name.endsWith('.json')) : []);
    await eventually(() => kept().length === 1 || undefined);

    expect((await test.app.inject({ method: 'POST', url: '/sessions/in-1/restart' })).statusCode).toBeLessThan(300);
    await waitForSession(test.app, 'in-1', 'ready');
    expect((await mediaOf(test, 'in-1', message.id)).rawPayload.equals(PDF)).toBe(true);
    await test.app.inject({ method: 'POST', url: '/sessions/in-1/stop' });
    await waitForSession(test.app, 'in-1', 'stopped');
    const whileStopped = await mediaOf(test, 'in-1', message.id);
    expect([whileStopped.statusCode, whileStopped.headers['content-length']]).toEqual([200, String(PDF.length)]);
    expect(whileStopped.rawPayload.equals(PDF)).toBe(true);

    // A text has no media; an unknown message is not there; neither downloads anything.
    await test.app.inject({ method: 'POST', url: '/sessions/in-1/start' });
    await waitForSession(test.app, 'in-1', 'ready');
    const text = (await test.app.inject({ method: 'POST', url: '/sessions/in-1/simulate/inbound', ...json({ from: TO, text: 'hi' }) })).json();
    expect((await mediaOf(test, 'in-1', text.id)).json().code).toBe('WSM_MEDIA_NOT_FOUND');
    expect((await mediaOf(test, 'in-1', 'false_1@c.us_3EB0NOPE')).json().code).toBe('WSM_MESSAGE_NOT_FOUND');
    const refused = await test.app.inject({ method: 'POST', url: '/sessions/in-1/simulate/inbound', ...json({ from: TO }) });
    expect([refused.statusCode, refused.json().code]).toEqual([400, 'WSM_VALIDATION_FAILED']);

    // Deleting the session deletes its media.
    expect((await test.app.inject({ method: 'DELETE', url: '/sessions/in-1' })).statusCode).toBeLessThan(300);
    expect(existsSync(sessionMedia)).toBe(false);
  });

  it('quotes with media, and receives a quoting media message', async () => {
    const test = await readySession('mix-1');
    const first = (await test.app.inject({ method: 'POST', url: '/sessions/mix-1/simulate/inbound', ...json({ from: TO, text: 'send me the photo' }) })).json();
    const photo = await test.app.inject({
      method: 'POST',
      url: '/sessions/mix-1/messages',
      ...multipartForm({ to: TO, replyTo: first.id }, [{ filename: 'p.jpg', contentType: 'image/jpeg', data: JPEG }]),
    });
    expect(photo.statusCode).toBe(201);
    expect(await event('mix-1', 'message.sent', photo.json().id)).toMatchObject({ replyTo: first.id, type: 'image' });
    const answer = await test.app.inject({
      method: 'POST',
      url: '/sessions/mix-1/simulate/inbound',
      ...json({ from: TO, media: { data: JPEG.toString('base64'), mimetype: 'image/jpeg' }, replyTo: photo.json().id }),
    });
    expect(answer.json()).toMatchObject({ type: 'image', replyTo: photo.json().id, body: '' });
    expect((await mediaOf(test, 'mix-1', answer.json().id)).rawPayload.equals(JPEG)).toBe(true);
  });
});
