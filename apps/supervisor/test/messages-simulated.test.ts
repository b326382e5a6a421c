/**
 * Messages beyond text on the simulated engine, through the real supervisor, worker process and a real webhook
 * receiver: replies, reactions both ways, revokes, read, the number check (and a send that asks for it), and
 * the screenshot refusal. Media has its own file (media-simulated.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, useTestApps, waitForSession, type TestApp } from './helpers.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const apps = useTestApps();
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

async function readySession(sessionId: string): Promise<TestApp> {
  const test = await apps.open({ WEBHOOK_URL: receiver.url });
  expect((await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) })).statusCode).toBe(202);
  await waitForSession(test.app, sessionId, 'qr');
  expect((await test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` })).statusCode).toBe(200);
  await waitForSession(test.app, sessionId, 'ready');
  return test;
}

const delivered = async (sessionId: string, type: string, matches: (data: Record<string, any>) => boolean) => {
  const find = () => receiver.received.find((entry) => entry.envelope.sessionId === sessionId && entry.envelope.type === type && matches(entry.envelope.data));
  await receiver.waitFor(() => find() !== undefined);
  return find()!.envelope.data;
};

describe('a simulated session', () => {
  it('replies to a message it received, and refuses a reply to one it does not know, leaving the key free', async () => {
    const { app } = await readySession('reply-1');
    const inbound = (await app.inject({ method: 'POST', url: '/sessions/reply-1/simulate/inbound', ...json({ from: '+1 555 000 2222', text: 'where is my order?' }) })).json();
    expect(inbound).toMatchObject({ replyTo: null, media: null, hasMedia: false });

    const reply = await app.inject({
      method: 'POST',
      url: '/sessions/reply-1/messages',
      ...json({ to: '15550002222@c.us', text: 'on its way', replyTo: inbound.id }),
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({ to: '15550002222@c.us', type: 'chat' });
    expect(await delivered('reply-1', 'message.sent', (data) => data.id === reply.json().id)).toMatchObject({ replyTo: inbound.id, type: 'chat', media: null });

    // The other party quotes the session's reply.
    const quoting = (await app.inject({
      method: 'POST',
      url: '/sessions/reply-1/simulate/inbound',
      ...json({ from: '15550002222', text: 'thanks!', replyTo: reply.json().id }),
    })).json();
    expect(await delivered('reply-1', 'message.received', (data) => data.id === quoting.id)).toMatchObject({ replyTo: reply.json().id });

    const unknown = 'false_15550002222@c.us_3EB0000000000000DEAD';
    const refused = await app.inject({
      method: 'POST',
      url: '/sessions/reply-1/messages',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'reply-unknown' },
      payload: JSON.stringify({ to: '15550002222', text: 'hm', replyTo: unknown }),
    });
    expect(refused.statusCode).toBe(404);
    expect(refused.json().code).toBe('WSM_MESSAGE_NOT_FOUND');
    // Nothing was sent, so the key is free for the corrected request.
    const corrected = await app.inject({
      method: 'POST',
      url: '/sessions/reply-1/messages',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'reply-unknown' },
      payload: JSON.stringify({ to: '15550002222', text: 'hm', replyTo: inbound.id }),
    });
    expect(corrected.statusCode).toBe(201);
  });

  it('reacts and is reacted to, as message.reaction events; an empty emoji removes; unknown messages are 404', async () => {
    const { app } = await readySession('react-1');
    const inbound = (await app.inject({ method: 'POST', url: '/sessions/react-1/simulate/inbound', ...json({ from: '15550002222', text: 'hi' }) })).json();
    const url = `/sessions/react-1/messages/${encodeURIComponent(inbound.id)}/reaction`;

    const reacted = await app.inject({ method: 'POST', url, ...json({ emoji: '👍' }) });
    expect(reacted.statusCode).toBe(200);
    expect(reacted.json()).toEqual({ id: inbound.id, emoji: '👍' });
    const me = (await app.inject({ url: '/sessions/react-1' })).json().me.id;
    expect(await delivered('react-1', 'message.reaction', (data) => data.emoji === '👍')).toEqual({ id: inbound.id, emoji: '👍', from: me });
    expect((await app.inject({ method: 'POST', url, ...json({ emoji: '' }) })).statusCode).toBe(200);
    expect(await delivered('react-1', 'message.reaction', (data) => data.emoji === '' && data.from === me)).toEqual({ id: inbound.id, emoji: '', from: me });

    const sent = (await app.inject({ method: 'POST', url: '/sessions/react-1/messages', ...json({ to: '15550002222', text: 'yo' }) })).json();
    const other = await app.inject({
      method: 'POST',
      url: '/sessions/react-1/simulate/reaction',
      ...json({ messageId: sent.id, emoji: '❤️', from: '+1 555 000 2222' }),
    });
    expect(other.statusCode).toBe(200);
    expect(await delivered('react-1', 'message.reaction', (data) => data.emoji === '❤️')).toEqual({ id: sent.id, emoji: '❤️', from: '15550002222@c.us' });

    const missing = await app.inject({ method: 'POST', url: '/sessions/react-1/messages/true_1@c.us_3EB0FFFF/reaction', ...json({ emoji: '👍' }) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('WSM_MESSAGE_NOT_FOUND');
    const tooLong = await app.inject({ method: 'POST', url, ...json({ emoji: '👍'.repeat(40) }) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().code).toBe('WSM_VALIDATION_FAILED');
  });

  it('sees a message revoked for everyone as message.revoked; the message is then unknown', async () => {
    const { app } = await readySession('revoke-1');
    const inbound = (await app.inject({ method: 'POST', url: '/sessions/revoke-1/simulate/inbound', ...json({ from: '15550002222', text: 'oops' }) })).json();
    const revoked = await app.inject({ method: 'POST', url: '/sessions/revoke-1/simulate/revoke', ...json({ messageId: inbound.id }) });
    expect(revoked.statusCode).toBe(200);
    expect(await delivered('revoke-1', 'message.revoked', (data) => data.id === inbound.id)).toEqual({ id: inbound.id });
    const again = await app.inject({ method: 'POST', url: '/sessions/revoke-1/simulate/revoke', ...json({ messageId: inbound.id }) });
    expect(again.json().code).toBe('WSM_MESSAGE_NOT_FOUND');
  });

  it('marks chats read, checks numbers, and refuses a send to a number that is not on WhatsApp when asked to check', async () => {
    const { app } = await readySession('num-1');
    const read = await app.inject({ method: 'POST', url: `/sessions/num-1/chats/${encodeURIComponent('+1 555 000 2222')}/read` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ chatId: '15550002222@c.us' });
    expect((await app.inject({ method: 'POST', url: '/sessions/num-1/chats/not-a-chat/read' })).json().code).toBe('WSM_INVALID_CHAT_ID');

    expect((await app.inject({ url: '/sessions/num-1/contacts/+15550002222' })).json()).toEqual({ exists: true, id: '15550002222@c.us' });
    expect((await app.inject({ url: '/sessions/num-1/contacts/15550000000' })).json()).toEqual({ exists: false, id: null });
    const badPhone = await app.inject({ url: '/sessions/num-1/contacts/call-me' });
    expect([badPhone.statusCode, badPhone.json().code]).toEqual([400, 'WSM_VALIDATION_FAILED']);

    const refused = await app.inject({
      method: 'POST',
      url: '/sessions/num-1/messages',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'check-1' },
      payload: JSON.stringify({ to: '+1 555 000 0000', text: 'hello?', checkNumber: true }),
    });
    expect([refused.statusCode, refused.json().code]).toEqual([422, 'WSM_NUMBER_NOT_ON_WHATSAPP']);
    // Without the check the simulated WhatsApp accepts any number, as a real one accepts any id.
    const unchecked = await app.inject({ method: 'POST', url: '/sessions/num-1/messages', ...json({ to: '+1 555 000 0000', text: 'hello?' }) });
    expect(unchecked.statusCode).toBe(201);
    const checked = await app.inject({ method: 'POST', url: '/sessions/num-1/messages', ...json({ to: '+1 555 000 2222', text: 'hi', checkNumber: true }) });
    expect([checked.statusCode, checked.json().to]).toEqual([201, '15550002222@c.us']);
  });

  it('has no screenshot: it has no WhatsApp Web page', async () => {
    const { app } = await readySession('shot-1');
    const shot = await app.inject({ url: '/sessions/shot-1/screenshot' });
    expect([shot.statusCode, shot.json().code]).toEqual([409, 'WSM_NOT_WEBJS']);
  });
});
