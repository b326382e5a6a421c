/**
 * Messages beyond text on the real engine: supervisor → worker → whatsapp-web.js → Chromium → the WhatsApp Web
 * emulator, with a real webhook receiver and a real HTTP server for media URLs. One session is linked for the
 * whole file (linking takes seconds); every test checks what the emulator recorded or delivered, byte for byte.
 * The simulated engine's side of the same API: media-simulated.test.ts and messages-simulated.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type Emulator } from '@wsm/wa-web-emulator';
import {
  eventually,
  json,
  mediaFixture,
  multipartForm,
  serveFiles,
  noOwnedProcesses,
  removeDir,
  startTestApp,
  tempDataDir,
  waitForSession,
  type FileServer,
  type TestApp,
} from './helpers.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const STARTUP_MS = 30_000;
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const JPEG = readFileSync(mediaFixture('image.jpg'));
const PNG = readFileSync(mediaFixture('image.png'));
const PDF = readFileSync(mediaFixture('document.pdf'));
const VOICE = readFileSync(mediaFixture('voice.ogg'));
const H264 = readFileSync(mediaFixture('video-h264.mp4'));
const HEVC = readFileSync(mediaFixture('video-hevc.mp4'));
/** Above every fixture: received media larger than this is not downloaded at arrival, only when asked for. */
const MEDIA_MAX_BYTES = 16 * 1024;
const PEER = '15550002222@c.us';
const SESSION = 'media-1';
const URL_BASE = `/sessions/${SESSION}`;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

let emulator: Emulator;
let receiver: Receiver;
let files: FileServer | undefined;
let dataDir = '';
let test: TestApp;
/** The session's own WhatsApp id, as the emulator paired it. */
let wid = '';

beforeAll(async () => {
  emulator = await startEmulator({ ackDelayMs: 20 });
  receiver = await startReceiver();
  files = await serveFiles({ '/invoice.pdf': { contentType: 'application/pdf', body: PDF } });

  dataDir = tempDataDir();
  test = await startTestApp(dataDir, {
    DEFAULT_ENGINE: 'webjs',
    CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs),
    HEARTBEAT_TIMEOUT_MS: '15000',
    STOP_TIMEOUT_MS: '5000',
    RESTART_BACKOFF_MS: '100',
    WEBHOOK_URL: receiver.url,
    MEDIA_MAX_BYTES: String(MEDIA_MAX_BYTES),
  });
  expect((await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: SESSION }) })).statusCode).toBe(202);
  await waitForSession(test.app, SESSION, 'qr', STARTUP_MS);
  const { qr } = (await test.app.inject({ url: `${URL_BASE}/qr` })).json();
  ({ wid } = await emulator.scan(qr));
  await waitForSession(test.app, SESSION, 'ready', STARTUP_MS);
});

afterAll(async () => {
  await test?.close();
  if (dataDir !== '') {
    await noOwnedProcesses(dataDir);
    removeDir(dataDir);
  }
  await emulator?.close();
  await receiver?.close();
  await files?.close();
});


const send = (body: Record<string, unknown>) => test.app.inject({ method: 'POST', url: `${URL_BASE}/messages`, ...json(body) });

const mediaOf = (id: string) => test.app.inject({ url: `${URL_BASE}/messages/${encodeURIComponent(id)}/media` });

/** The first webhook event of this session of `type` whose data matches. */
const delivered = async (type: string, matches: (data: Record<string, any>) => boolean) => {
  const find = () => receiver.received.find((entry) => entry.envelope.sessionId === SESSION && entry.envelope.type === type && matches(entry.envelope.data));
  await receiver.waitFor(() => find() !== undefined);
  return find()!.envelope.data;
};

/** The emulator's record of a message the session sent, by the id the API answered with. */
const recorded = (id: string) => emulator.waitForSent((record) => record.id === id);

/** Messages from the session to `to` that the emulator recorded. */
const sentTo = (to: string) => emulator.sent().filter((record) => record.from === wid && record.to === to);

describe('media sent from a webjs session', () => {
  it('sends a JPEG with a caption by upload: WhatsApp gets the same bytes, and GET .../media gives them back', async () => {
    const photo = await test.app.inject({
      method: 'POST',
      url: `${URL_BASE}/messages`,
      ...multipartForm({ to: '+1 555 000 2222', caption: 'your order, packed' }, [{ filename: 'photo.jpg', contentType: 'image/jpeg', data: JPEG }]),
    });
    expect(photo.statusCode).toBe(201);
    expect(photo.json()).toMatchObject({ to: PEER, type: 'image' });
    expect(await recorded(photo.json().id)).toMatchObject({
      to: PEER,
      type: 'image',
      caption: 'your order, packed',
      mimetype: 'image/jpeg',
      size: JPEG.length,
      sha256: sha256(JPEG),
    });
    expect(emulator.sentMedia(photo.json().id)?.equals(JPEG)).toBe(true);
    const back = await mediaOf(photo.json().id);
    expect([back.statusCode, back.headers['content-type'], back.headers['content-disposition']]).toEqual([
      200,
      'image/jpeg',
      "inline; filename*=UTF-8''photo.jpg",
    ]);
    expect(back.rawPayload.equals(JPEG)).toBe(true);
    expect(await delivered('message.sent', (data) => data.id === photo.json().id)).toMatchObject({
      type: 'image',
      body: 'your order, packed',
      media: { mimetype: 'image/jpeg', filename: 'photo.jpg', size: JPEG.length },
    });
    // Delivered to the other phone, as WhatsApp acknowledges it.
    await delivered('message.ack', (data) => data.id === photo.json().id && data.ack >= 2);
  });

  it('sends a PDF from a URL as a document with its file name', async () => {
    const invoice = await send({ to: PEER, media: { url: `${files!.url}/invoice.pdf` } });
    expect(invoice.statusCode).toBe(201);
    expect(invoice.json().type).toBe('document');
    expect(await recorded(invoice.json().id)).toMatchObject({
      type: 'document',
      mimetype: 'application/pdf',
      filename: 'invoice.pdf',
      caption: null,
      size: PDF.length,
      sha256: sha256(PDF),
    });
    expect((await mediaOf(invoice.json().id)).rawPayload.equals(PDF)).toBe(true);
  });

  it('sends an Ogg Opus file as a voice note (ptt) and an H.264 MP4 as a video, from base64', async () => {
    const voice = await send({ to: PEER, media: { data: VOICE.toString('base64'), mimetype: 'audio/ogg; codecs=opus' }, asVoice: true });
    expect([voice.statusCode, voice.json().type]).toEqual([201, 'ptt']);
    expect(await recorded(voice.json().id)).toMatchObject({ type: 'ptt', mimetype: expect.stringMatching(/^audio\/ogg/), sha256: sha256(VOICE) });
    expect((await mediaOf(voice.json().id)).rawPayload.equals(VOICE)).toBe(true);

    const clip = await send({ to: PEER, media: { data: H264.toString('base64'), mimetype: 'video/mp4', filename: 'clip.mp4' }, caption: 'unboxing' });
    expect([clip.statusCode, clip.json().type]).toEqual([201, 'video']);
    expect(await recorded(clip.json().id)).toMatchObject({ type: 'video', mimetype: 'video/mp4', caption: 'unboxing', size: H264.length, sha256: sha256(H264) });
    expect((await mediaOf(clip.json().id)).rawPayload.equals(H264)).toBe(true);
  });

  it('sends a PNG as a sticker, which WhatsApp Web turns into a WebP; GET .../media keeps the PNG it was given', async () => {
    const sticker = await send({ to: PEER, media: { data: PNG.toString('base64'), mimetype: 'image/png' }, asSticker: true });
    expect([sticker.statusCode, sticker.json().type]).toEqual([201, 'sticker']);
    const record = await recorded(sticker.json().id);
    expect(record).toMatchObject({ type: 'sticker', mimetype: 'image/webp', caption: null });
    const webp = emulator.sentMedia(sticker.json().id)!;
    expect([webp.subarray(0, 4).toString('latin1'), webp.subarray(8, 12).toString('latin1')]).toEqual(['RIFF', 'WEBP']);
    expect(record.sha256).toBe(sha256(webp));
    const back = await mediaOf(sticker.json().id);
    expect([back.statusCode, back.headers['content-type']]).toEqual([200, 'image/png']);
    expect(back.rawPayload.equals(PNG)).toBe(true);
  });

  it('refuses an HEVC video Chromium cannot decode with 422 WSM_MEDIA_REJECTED, sending nothing; as a document it goes', async () => {
    const before = sentTo(PEER).length;
    const refused = await send({ to: PEER, media: { data: HEVC.toString('base64'), mimetype: 'video/mp4', filename: 'iphone.mp4' } });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('WSM_MEDIA_REJECTED');
    expect(refused.json().message).toMatch(/video\/mp4/);
    expect(refused.json().message).toMatch(/no video track this browser can decode/);
    expect(refused.json().message).toMatch(/asDocument/);
    expect(sentTo(PEER)).toHaveLength(before);
    expect(readdirSync(test.config.media.spoolDir)).toEqual([]);

    const document = await send({ to: PEER, media: { data: HEVC.toString('base64'), mimetype: 'video/mp4', filename: 'iphone.mp4' }, asDocument: true });
    expect([document.statusCode, document.json().type]).toEqual([201, 'document']);
    expect(await recorded(document.json().id)).toMatchObject({ type: 'document', mimetype: 'video/mp4', filename: 'iphone.mp4', sha256: sha256(HEVC) });
    expect((await mediaOf(document.json().id)).rawPayload.equals(HEVC)).toBe(true);
    expect(readdirSync(test.config.media.spoolDir)).toEqual([]);
  });
});

describe('media received by a webjs session', () => {
  it('describes it in message.received, keeps it at arrival, and serves it after the phone lost it and the worker restarted', async () => {
    const { id } = await emulator.deliver(wid, { from: PEER, body: 'the contract', media: { data: PDF, mimetype: 'application/pdf', filename: 'contract.pdf' } });
    expect(await delivered('message.received', (data) => data.id === id)).toMatchObject({
      from: PEER,
      to: wid,
      body: 'the contract',
      type: 'document',
      hasMedia: true,
      media: { mimetype: 'application/pdf', filename: 'contract.pdf', size: PDF.length },
      replyTo: null,
    });
    // Downloaded at arrival, without anyone asking.
    await eventually(() => test.app.media.get(SESSION, id), 20_000, 'the media to be downloaded at arrival');
    emulator.expireMedia(wid, id);
    const kept = await mediaOf(id);
    expect([kept.statusCode, kept.headers['content-type'], kept.headers['content-disposition']]).toEqual([
      200,
      'application/pdf',
      "inline; filename*=UTF-8''contract.pdf",
    ]);
    expect(kept.rawPayload.equals(PDF)).toBe(true);

    const { pid } = test.app.sessions.view(SESSION)!;
    expect((await test.app.inject({ method: 'POST', url: `${URL_BASE}/restart` })).statusCode).toBeLessThan(300);
    await waitForSession(test.app, SESSION, (s) => s.status === 'ready' && s.pid !== pid, STARTUP_MS);
    expect((await mediaOf(id)).rawPayload.equals(PDF)).toBe(true);
  });

  it('downloads media too large to keep at arrival when asked for, and answers 410 once WhatsApp no longer has it', async () => {
    const archive = randomBytes(MEDIA_MAX_BYTES + 4096);
    const photo = await emulator.deliver(wid, { from: PEER, media: { data: JPEG, mimetype: 'image/jpeg' } });
    const large = await emulator.deliver(wid, { from: PEER, media: { data: archive, mimetype: 'application/zip', filename: 'backup.zip' } });
    const gone = await emulator.deliver(wid, { from: PEER, media: { data: archive, mimetype: 'application/zip', filename: 'old.zip' } });
    expect(await delivered('message.received', (data) => data.id === photo.id)).toMatchObject({
      type: 'image',
      body: '',
      media: { mimetype: 'image/jpeg', filename: null, size: JPEG.length },
    });
    expect(await delivered('message.received', (data) => data.id === gone.id)).toMatchObject({
      type: 'document',
      media: { mimetype: 'application/zip', filename: 'old.zip', size: archive.length },
    });
    emulator.expireMedia(wid, gone.id);

    const onDemand = await mediaOf(large.id);
    expect([onDemand.statusCode, onDemand.headers['content-type'], onDemand.headers['content-length']]).toEqual([200, 'application/zip', String(archive.length)]);
    expect(onDemand.rawPayload.equals(archive)).toBe(true);
    const expired = await mediaOf(gone.id);
    expect([expired.statusCode, expired.json().code]).toEqual([410, 'WSM_MEDIA_EXPIRED']);
    expect((await mediaOf(photo.id)).rawPayload.equals(JPEG)).toBe(true);

    // A text has no media; a message WhatsApp Web does not know is not found.
    const text = await emulator.deliver(wid, { from: PEER, body: 'no attachment' });
    await delivered('message.received', (data) => data.id === text.id);
    expect([(await mediaOf(text.id)).statusCode, (await mediaOf(text.id)).json().code]).toEqual([404, 'WSM_MEDIA_NOT_FOUND']);
    const unknown = await mediaOf(`false_${PEER}_3EB0000000000000F00D`);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'WSM_MESSAGE_NOT_FOUND']);
  });
});

describe('replies, reactions, revokes, read receipts and the number check on a webjs session', () => {
  it('replies to a received message, refuses an unknown one sending nothing, and sees replies to its own', async () => {
    const question = await emulator.deliver(wid, { from: PEER, body: 'where is my order?' });
    await delivered('message.received', (data) => data.id === question.id);
    const reply = await send({ to: PEER, text: 'on its way', replyTo: question.id });
    expect(reply.statusCode).toBe(201);
    expect(await recorded(reply.json().id)).toMatchObject({ body: 'on its way', type: 'chat', quotedId: question.id });
    expect(await delivered('message.sent', (data) => data.id === reply.json().id)).toMatchObject({ replyTo: question.id });

    const before = sentTo(PEER).length;
    const refused = await send({ to: PEER, text: 'hm', replyTo: `false_${PEER}_3EB0000000000000DEAD` });
    expect([refused.statusCode, refused.json().code]).toEqual([404, 'WSM_MESSAGE_NOT_FOUND']);
    expect(sentTo(PEER)).toHaveLength(before);

    const photo = await test.app.inject({
      method: 'POST',
      url: `${URL_BASE}/messages`,
      ...multipartForm({ to: PEER, replyTo: question.id }, [{ filename: 'tracking.jpg', contentType: 'image/jpeg', data: JPEG }]),
    });
    expect([photo.statusCode, photo.json().type]).toEqual([201, 'image']);
    expect(await recorded(photo.json().id)).toMatchObject({ type: 'image', quotedId: question.id, sha256: sha256(JPEG) });
    const unknownWithMedia = await send({ to: PEER, media: { data: JPEG.toString('base64') }, replyTo: `false_${PEER}_3EB0000000000000BEEF` });
    expect([unknownWithMedia.statusCode, unknownWithMedia.json().code]).toEqual([404, 'WSM_MESSAGE_NOT_FOUND']);
    expect(sentTo(PEER)).toHaveLength(before + 1);
    expect(readdirSync(test.config.media.spoolDir)).toEqual([]);

    const thanks = await emulator.deliver(wid, { from: PEER, body: 'thanks!', quotedId: reply.json().id });
    expect(await delivered('message.received', (data) => data.id === thanks.id)).toMatchObject({ body: 'thanks!', replyTo: reply.json().id });
    const receipt = await emulator.deliver(wid, { from: PEER, body: 'my receipt', media: { data: PDF, mimetype: 'application/pdf', filename: 'receipt.pdf' }, quotedId: photo.json().id });
    expect(await delivered('message.received', (data) => data.id === receipt.id)).toMatchObject({
      type: 'document',
      body: 'my receipt',
      replyTo: photo.json().id,
      media: { mimetype: 'application/pdf', filename: 'receipt.pdf', size: PDF.length },
    });
  });

  it('reacts and is reacted to, as message.reaction events; an empty emoji takes a reaction back', async () => {
    const hello = await emulator.deliver(wid, { from: PEER, body: 'hello!' });
    await delivered('message.received', (data) => data.id === hello.id);
    const url = `${URL_BASE}/messages/${encodeURIComponent(hello.id)}/reaction`;
    const reacted = await test.app.inject({ method: 'POST', url, ...json({ emoji: '👍' }) });
    expect([reacted.statusCode, reacted.json()]).toEqual([200, { id: hello.id, emoji: '👍' }]);
    expect(await delivered('message.reaction', (data) => data.id === hello.id && data.emoji === '👍')).toEqual({ id: hello.id, emoji: '👍', from: wid });
    expect((await test.app.inject({ method: 'POST', url, ...json({ emoji: '' }) })).statusCode).toBe(200);
    expect(await delivered('message.reaction', (data) => data.id === hello.id && data.emoji === '')).toEqual({ id: hello.id, emoji: '', from: wid });
    expect(emulator.reactions().filter((reaction) => reaction.msgId === hello.id).map(({ emoji, from }) => [emoji, from])).toEqual([
      ['👍', wid],
      ['', wid],
    ]);

    const mine = await send({ to: PEER, text: 'your parcel left the warehouse' });
    await recorded(mine.json().id);
    await emulator.react(wid, { id: mine.json().id, emoji: '❤️', from: PEER });
    expect(await delivered('message.reaction', (data) => data.id === mine.json().id && data.emoji === '❤️')).toEqual({
      id: mine.json().id,
      emoji: '❤️',
      from: PEER,
    });
    await emulator.react(wid, { id: mine.json().id, emoji: '', from: PEER });
    expect(await delivered('message.reaction', (data) => data.id === mine.json().id && data.emoji === '')).toEqual({ id: mine.json().id, emoji: '', from: PEER });

    const missing = await test.app.inject({ method: 'POST', url: `${URL_BASE}/messages/${encodeURIComponent(`false_${PEER}_3EB0FFFF`)}/reaction`, ...json({ emoji: '👍' }) });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'WSM_MESSAGE_NOT_FOUND']);
  });

  it('sees a message deleted for everyone as message.revoked with its id', async () => {
    const oops = await emulator.deliver(wid, { from: PEER, body: 'wrong chat, sorry' });
    await delivered('message.received', (data) => data.id === oops.id);
    await emulator.revoke(wid, { id: oops.id });
    expect(await delivered('message.revoked', (data) => data.id === oops.id)).toEqual({ id: oops.id });
  });

  it('marks a chat read', async () => {
    const read = await test.app.inject({ method: 'POST', url: `${URL_BASE}/chats/${encodeURIComponent('+1 555 000 2222')}/read` });
    expect([read.statusCode, read.json()]).toEqual([200, { chatId: PEER }]);
    expect(emulator.seen().map((entry) => entry.chatId)).toContain(PEER);
  });

  it('checks numbers, and refuses a send to one not on WhatsApp when asked to check, sending nothing', async () => {
    expect((await test.app.inject({ url: `${URL_BASE}/contacts/+15550002222` })).json()).toEqual({ exists: true, id: PEER });
    expect((await test.app.inject({ url: `${URL_BASE}/contacts/15550000000` })).json()).toEqual({ exists: false, id: null });
    const refused = await send({ to: '+1 555 000 0000', text: 'hello?', checkNumber: true });
    expect([refused.statusCode, refused.json().code]).toEqual([422, 'WSM_NUMBER_NOT_ON_WHATSAPP']);
    const refusedMedia = await send({ to: '15550000000', media: { data: PDF.toString('base64') }, checkNumber: true });
    expect([refusedMedia.statusCode, refusedMedia.json().code]).toEqual([422, 'WSM_NUMBER_NOT_ON_WHATSAPP']);
    expect(sentTo('15550000000@c.us')).toEqual([]);
    expect(readdirSync(test.config.media.spoolDir)).toEqual([]);
    const checked = await send({ to: '+1 555 000 2222', text: 'checked first', checkNumber: true });
    expect([checked.statusCode, checked.json().to]).toEqual([201, PEER]);
    expect(await recorded(checked.json().id)).toMatchObject({ to: PEER, body: 'checked first' });
  });
});

/** A PNG's size from its IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('the screenshot of a webjs session', () => {
  it('is a 1280×900 PNG of its WhatsApp Web page, when ready and while it shows a QR code', async () => {
    const shot = await test.app.inject({ url: `${URL_BASE}/screenshot` });
    expect([shot.statusCode, shot.headers['content-type']]).toEqual([200, 'image/png']);
    expect(pngSize(shot.rawPayload)).toEqual({ width: 1280, height: 900 });

    // Not linked yet: a stuck session is when a screenshot is wanted most.
    expect((await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'media-2' }) })).statusCode).toBe(202);
    await waitForSession(test.app, 'media-2', 'qr', STARTUP_MS);
    const linking = await test.app.inject({ url: '/sessions/media-2/screenshot' });
    expect([linking.statusCode, linking.headers['content-type']]).toEqual([200, 'image/png']);
    expect(pngSize(linking.rawPayload)).toEqual({ width: 1280, height: 900 });
    expect(linking.rawPayload.equals(shot.rawPayload)).toBe(false);
    expect((await test.app.inject({ method: 'DELETE', url: '/sessions/media-2' })).statusCode).toBeLessThan(300);
  });
});
