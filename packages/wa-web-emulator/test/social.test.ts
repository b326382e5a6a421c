/**
 * Replies, reactions, revokes, read receipts, the number check and the WhatsApp Web version, with the real
 * whatsapp-web.js 1.34.7 on real Chromium. One ready client serves the message tests (each talks to its own
 * contact, so their records do not mix); the version tests start clients of their own.
 */
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Reaction } from 'whatsapp-web.js';
import { CONTROL_PREFIX, DEFAULT_WEB_VERSION, startEmulator, type Emulator } from '../src/index.js';
import { ClientPool, newClient, newProfileDir, type ClientOptions, type WebjsClient } from './helpers/webjs-client.js';

const EVENT_MS = 20_000;
const wait = (client: WebjsClient, event: string): Promise<unknown[]> => once(client, event, { signal: AbortSignal.timeout(EVENT_MS) });

let emulator: Emulator;
// the shared client lives for the whole file; clients of single tests are cleaned up after each
const shared = new ClientPool();
const pool = new ClientPool();
let client: WebjsClient;
let wid: string;

async function readyClient(on: Emulator, tracked: ClientPool, options: ClientOptions = {}, phone?: string): Promise<{ client: WebjsClient; wid: string }> {
  const started = tracked.track(newClient(on, tracked.profile(), options));
  const qr = wait(started, 'qr');
  await started.initialize();
  const ready = wait(started, 'ready');
  const paired = await on.scan(String((await qr)[0]), phone === undefined ? {} : { phone });
  await ready;
  return { client: started, wid: paired.wid };
}

/** An inbound message from `from`, as the client got it. */
async function received(from: string, body: string, quotedId?: string): Promise<Message> {
  const message = wait(client, 'message');
  await emulator.deliver(wid, { from, body, ...(quotedId === undefined ? {} : { quotedId }) });
  return ((await message) as [Message])[0];
}

beforeAll(async () => {
  emulator = await startEmulator({ ackDelayMs: 100 });
  ({ client, wid } = await readyClient(emulator, shared, {}, '15550001111'));
});

afterEach(async () => {
  expect(await pool.cleanup()).toEqual([]);
});

afterAll(async () => {
  expect(await shared.cleanup()).toEqual([]);
  await emulator.close();
});

describe('replies', () => {
  it('a reply the client sends is recorded with the id of the message it quotes, received or sent', async () => {
    const contact = '15550002001@c.us';
    const ping = await received(contact, 'ping');
    const pong = await client.sendMessage(contact, 'pong', { quotedMessageId: ping.id._serialized, ignoreQuoteErrors: false });
    expect(pong.hasQuotedMsg).toBe(true);
    expect(await emulator.waitForSent((record) => record.id === pong.id._serialized)).toMatchObject({ body: 'pong', quotedId: ping.id._serialized });

    const again = await client.sendMessage(contact, 'and to myself', { quotedMessageId: pong.id._serialized, ignoreQuoteErrors: false });
    expect(await emulator.waitForSent((record) => record.id === again.id._serialized)).toMatchObject({ quotedId: pong.id._serialized });
    // a plain message carries no quotedId at all
    const plain = await client.sendMessage(contact, 'plain');
    expect(await emulator.waitForSent((record) => record.id === plain.id._serialized)).not.toHaveProperty('quotedId');
  });

  it('quoting a message nobody has fails with whatsapp-web.js\'s error', async () => {
    await expect(
      client.sendMessage('15550002002@c.us', 'lost', { quotedMessageId: 'false_15550002002@c.us_0123456789ABCDEF0123456789ABCDEF', ignoreQuoteErrors: false }),
    ).rejects.toThrow('Could not get the quoted message.');
  });

  it('an inbound reply quotes a message the client sent or received: hasQuotedMsg, getQuotedMessage()', async () => {
    const contact = '15550002003@c.us';
    const sent = await client.sendMessage(contact, 'question');
    await emulator.waitForSent((record) => record.id === sent.id._serialized);
    const answer = await received(contact, 'answer', sent.id._serialized);
    expect(answer.hasQuotedMsg).toBe(true);
    const answerData = answer.rawData as { quotedStanzaID: string; quotedParticipant: { _serialized: string }; quotedMsg: { body: string } };
    expect(answerData).toMatchObject({ quotedStanzaID: sent.id.id, quotedParticipant: { _serialized: wid }, quotedMsg: { body: 'question' } });
    const quoted = await answer.getQuotedMessage();
    expect(quoted).toMatchObject({ body: 'question', fromMe: true });
    expect(quoted.id._serialized).toBe(sent.id._serialized);

    const followUp = await received(contact, 'and about my answer', answer.id._serialized);
    const quotedAnswer = await followUp.getQuotedMessage();
    expect(quotedAnswer).toMatchObject({ body: 'answer', fromMe: false, from: contact });
    expect(quotedAnswer.id._serialized).toBe(answer.id._serialized);
  });

  it('refuses an inbound reply to a message the emulator never carried, or one of another chat', async () => {
    const other = await received('15550002004@c.us', 'in another chat');
    await expect(emulator.deliver(wid, { from: '15550002005@c.us', body: 'x', quotedId: other.id._serialized })).rejects.toMatchObject({
      code: 'WAE_MESSAGE_NOT_FOUND',
    });
    await expect(emulator.deliver(wid, { from: '15550002005@c.us', body: 'x', quotedId: 'false_15550002005@c.us_NOPE' })).rejects.toMatchObject({
      code: 'WAE_MESSAGE_NOT_FOUND',
    });
  });
});

describe('reactions', () => {
  it('react(emoji) and react("") on a received message are recorded, and whatsapp-web.js reports them as message_reaction', async () => {
    const contact = '15550003001@c.us';
    const message = await received(contact, 'react to me');
    const reactions: Reaction[] = [];
    const onReaction = (reaction: Reaction): void => void reactions.push(reaction);
    client.on('message_reaction', onReaction);
    try {
      await message.react('👍');
      await message.react('');
      const mine = emulator.reactions().filter((reaction) => reaction.msgId === message.id._serialized);
      expect(mine).toEqual([
        { msgId: message.id._serialized, emoji: '👍', from: wid, at: expect.any(String) },
        { msgId: message.id._serialized, emoji: '', from: wid, at: expect.any(String) },
      ]);
      expect(Date.parse(mine[0]?.at ?? '')).toBeCloseTo(Date.now(), -4);
      // whatsapp-web.js reports the client's own reactions too
      await expect.poll(() => reactions.length).toBe(2);
      expect(reactions.map((reaction) => [reaction.reaction, reaction.senderId, reaction.msgId._serialized, reaction.id.fromMe])).toEqual([
        ['👍', wid, message.id._serialized, true],
        ['', wid, message.id._serialized, true],
      ]);
    } finally {
      client.off('message_reaction', onReaction);
    }
  });

  it('a reaction from the other person becomes message_reaction; an empty one takes it back', async () => {
    const contact = '15550003002@c.us';
    const sent = await client.sendMessage(contact, 'like this?');
    await emulator.waitForSent((record) => record.id === sent.id._serialized);

    const first = wait(client, 'message_reaction');
    await emulator.react(wid, { id: sent.id._serialized, emoji: '❤️' });
    const [reaction] = (await first) as [Reaction];
    expect(reaction).toMatchObject({ reaction: '❤️', senderId: contact, orphan: 0, read: false });
    expect(reaction.msgId._serialized).toBe(sent.id._serialized);
    expect(reaction.id).toMatchObject({ fromMe: false, remote: { _serialized: contact } });
    expect(reaction.timestamp).toBeCloseTo(Date.now() / 1000, -1);

    const removal = wait(client, 'message_reaction');
    await emulator.react(wid, { id: sent.id._serialized, emoji: '' });
    expect(((await removal) as [Reaction])[0]).toMatchObject({ reaction: '', senderId: contact });
    // only what the clients did is recorded
    expect(emulator.reactions().filter((entry) => entry.msgId === sent.id._serialized)).toEqual([]);
    await expect(emulator.react(wid, { id: 'true_15550003002@c.us_NOPE', emoji: '👍' })).rejects.toMatchObject({ code: 'WAE_MESSAGE_NOT_FOUND' });
  });
});

describe('revokes', () => {
  it('the other person deletes a message for everyone: message_revoke_everyone with the revoked id', async () => {
    const contact = '15550004001@c.us';
    const message = await received(contact, 'oops');
    const revoked = wait(client, 'message_revoke_everyone');
    await emulator.revoke(wid, { id: message.id._serialized });
    const [now, before] = (await revoked) as [Message, Message | undefined];
    expect(now).toMatchObject({ type: 'revoked', from: contact });
    expect(now.id._serialized).toBe(message.id._serialized);
    expect(before).toMatchObject({ body: 'oops', type: 'chat' });
    expect(before?.id._serialized).toBe(message.id._serialized);
    // the client revoked nothing itself
    expect(emulator.revoked().filter((entry) => entry.id === message.id._serialized)).toEqual([]);
  });

  it('the client deletes its own message for everyone (delete(true)): recorded with who deleted it', async () => {
    const contact = '15550004002@c.us';
    const sent = await client.sendMessage(contact, 'regret');
    await emulator.waitForSent((record) => record.id === sent.id._serialized);
    const revoked = wait(client, 'message_revoke_everyone');
    await sent.delete(true);
    expect(emulator.revoked()).toContainEqual({ id: sent.id._serialized, by: wid });
    const [now] = (await revoked) as [Message];
    expect(now.id._serialized).toBe(sent.id._serialized);
    // the phone cannot delete the account's own message in the other person's name
    await expect(emulator.revoke(wid, { id: sent.id._serialized })).rejects.toMatchObject({ code: 'WAE_NOT_REVOCABLE' });
  });
});

describe('read receipts', () => {
  it('sendSeen(chatId) is recorded', async () => {
    const contact = '15550005001@c.us';
    await received(contact, 'read me');
    expect(await client.sendSeen(contact)).toBe(true);
    const seen = emulator.seen().filter((entry) => entry.chatId === contact);
    expect(seen).toEqual([{ chatId: contact, at: expect.any(String) }]);
  });
});

describe('the number check', () => {
  it('getNumberId: a wid for registered numbers, null for those ending in 0000 and those set unregistered', async () => {
    expect(await client.getNumberId('15550002222')).toEqual({ server: 'c.us', user: '15550002222', _serialized: '15550002222@c.us' });
    expect(await client.getNumberId('15550002222@c.us')).toMatchObject({ _serialized: '15550002222@c.us' });
    expect(await client.getNumberId('15550000000')).toBeNull();
    expect(await client.getNumberId('44 20 7946 0000')).toBeNull(); // not digits: not well-formed
    expect(await client.isRegisteredUser('15550003333@c.us')).toBe(true);
    emulator.setBehavior({ unregistered: ['+1 555 000 3333'] });
    try {
      expect(await client.getNumberId('15550003333')).toBeNull();
      expect(await client.isRegisteredUser('15550003333@c.us')).toBe(false);
    } finally {
      emulator.setBehavior({ unregistered: [] });
    }
  });
});

describe('the control API', () => {
  const agent = new Agent({ rejectUnauthorized: false });
  async function call(on: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const req = request(new URL(`${CONTROL_PREFIX}/${path}`, on.origin), { agent, method, headers: { 'content-type': 'application/json' } });
    req.end(body === undefined ? undefined : JSON.stringify(body));
    const [response] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    for await (const chunk of response) text += String(chunk);
    return { status: response.statusCode ?? 0, json: JSON.parse(text) as unknown };
  }

  it('POST deliver with quotedId, POST react, POST revoke, GET reactions|revoked|seen, POST behavior unregistered', async () => {
    const controlled = await startEmulator({ controlApi: true, ackDelayMs: 100 });
    try {
      const other = await readyClient(controlled, pool);
      const contact = '15550006001@c.us';
      const first = wait(other.client, 'message');
      const { json: delivered } = await call(controlled, 'POST', 'deliver', { to: other.wid, from: contact, body: 'one' });
      const { id } = delivered as { id: string };
      await first;
      const reply = wait(other.client, 'message');
      expect(await call(controlled, 'POST', 'deliver', { to: other.wid, from: contact, body: 'two', quotedId: id })).toMatchObject({ status: 200 });
      expect((await ((await reply)[0] as Message).getQuotedMessage()).id._serialized).toBe(id);

      const reaction = wait(other.client, 'message_reaction');
      expect(await call(controlled, 'POST', 'react', { to: other.wid, id, emoji: '🎉' })).toEqual({ status: 200, json: {} });
      expect(((await reaction)[0] as Reaction).reaction).toBe('🎉');
      const revoke = wait(other.client, 'message_revoke_everyone');
      expect(await call(controlled, 'POST', 'revoke', { to: other.wid, id })).toEqual({ status: 200, json: {} });
      await revoke;
      expect(await call(controlled, 'POST', 'react', { to: other.wid, id: 'false_x@c.us_NOPE', emoji: '🎉' })).toMatchObject({
        status: 404,
        json: { error: { code: 'WAE_MESSAGE_NOT_FOUND' } },
      });

      await other.client.sendSeen(contact);
      expect(await call(controlled, 'GET', 'seen')).toEqual({ status: 200, json: [{ chatId: contact, at: expect.any(String) }] });
      expect(await call(controlled, 'GET', 'reactions')).toEqual({ status: 200, json: [] });
      expect(await call(controlled, 'GET', 'revoked')).toEqual({ status: 200, json: [] });

      expect(await call(controlled, 'POST', 'behavior', { unregistered: ['15550007777'] })).toEqual({ status: 200, json: {} });
      expect(await other.client.getNumberId('15550007777')).toBeNull();
      expect(await call(controlled, 'POST', 'behavior', { unregistered: 'no' })).toMatchObject({ status: 400 });
    } finally {
      expect(await pool.cleanup()).toEqual([]);
      await controlled.close();
    }
  });
});

describe('the WhatsApp Web version', () => {
  const PINNED = '2.3000.1020304050';

  it('is window.Debug.VERSION (getWWebVersion), the emulator option webVersion', async () => {
    expect(emulator.webVersion).toBe(DEFAULT_WEB_VERSION);
    expect(await client.getWWebVersion()).toBe(DEFAULT_WEB_VERSION);
    await expect(startEmulator({ webVersion: 'latest' })).rejects.toMatchObject({ code: 'WAE_BAD_REQUEST' });
  });

  it('local cache: the first client saves <running version>.html; a client pinned to it runs that version on another emulator', async () => {
    // a directory of its own: the pool removes its profiles after the first client
    const cacheDir = newProfileDir();
    const cachePath = join(cacheDir, 'wwebjs-cache');
    const older = await startEmulator({ webVersion: PINNED });
    try {
      const first = await readyClient(older, pool, { webVersionCache: { type: 'local', path: cachePath } });
      expect(await first.client.getWWebVersion()).toBe(PINNED);
      // saved at the first sync, named after the version that ran
      const saved = join(cachePath, `${PINNED}.html`);
      expect(existsSync(saved)).toBe(true);
      expect(readFileSync(saved, 'utf8')).toContain(`content="${PINNED}"`);
    } finally {
      expect(await pool.cleanup()).toEqual([]);
      await older.close();
    }
    // the shared emulator serves the default version at /, the pinned client gets the saved page instead
    try {
      const pinned = await readyClient(emulator, pool, { webVersion: PINNED, webVersionCache: { type: 'local', path: cachePath, strict: true } });
      expect(await pinned.client.getWWebVersion()).toBe(PINNED);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('remote cache: remotePath is the emulator\'s archive of every version', async () => {
    const version = '2.3000.1030405060';
    const { client: remote } = await readyClient(emulator, pool, {
      webVersion: version,
      webVersionCache: { type: 'remote', remotePath: emulator.webVersionRemotePath, strict: true },
    });
    expect(await remote.getWWebVersion()).toBe(version);
    expect(emulator.webVersionRemotePath).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__emulator\/web-versions\/\{version\}\.html$/);
  });
});
