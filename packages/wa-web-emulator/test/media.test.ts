/**
 * Media both ways with the real whatsapp-web.js 1.34.7 driving real Chromium: what a client sends reaches the
 * emulator byte for byte (or is refused where WhatsApp Web's probe refuses it), and what the emulator delivers
 * comes out of `downloadMedia()` byte for byte, until it expires. Fixtures: test/fixtures/README.md.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wwebjs, { type Message } from 'whatsapp-web.js';
import { startEmulator, type Emulator } from '../src/index.js';
import { ClientPool, newClient, type WebjsClient } from './helpers/webjs-client.js';

const { MessageMedia } = wwebjs;
const EVENT_MS = 20_000;
const PEER = '15550002222@c.us';

// whatsapp-web.js keeps a message's mimetype, filename and size only in its raw, untyped `_data`
const dataOf = (message: Message): Record<string, unknown> => (message as unknown as { _data: Record<string, unknown> })._data;
const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const mediaOf = (name: string, mimetype: string, filename?: string): InstanceType<typeof MessageMedia> =>
  new MessageMedia(mimetype, fixture(name).toString('base64'), filename);

let emulator: Emulator;
let client: WebjsClient;
let wid: string;
const pool = new ClientPool();

beforeAll(async () => {
  emulator = await startEmulator({ ackDelayMs: 100 });
  client = pool.track(newClient(emulator, pool.profile()));
  const qr = once(client, 'qr', { signal: AbortSignal.timeout(EVENT_MS) });
  await client.initialize();
  const ready = once(client, 'ready', { signal: AbortSignal.timeout(EVENT_MS) });
  ({ wid } = await emulator.scan(String((await qr)[0])));
  await ready;
});

afterAll(async () => {
  expect(await pool.cleanup()).toEqual([]);
  await emulator.close();
});

/** The next `message` event for a delivery, with the delivery's id. */
async function received(delivery: Parameters<Emulator['deliver']>[1]): Promise<{ message: Message; id: string }> {
  const event = once(client, 'message', { signal: AbortSignal.timeout(EVENT_MS) });
  const { id } = await emulator.deliver(wid, delivery);
  const [message] = (await event) as [Message];
  expect(message.id._serialized).toBe(id);
  return { message, id };
}

describe('sending media', () => {
  const kinds = [
    { kind: 'a JPEG photo with a caption', file: 'image.jpg', mimetype: 'image/jpeg', options: { caption: 'a test card' }, type: 'image', caption: 'a test card' },
    { kind: 'a PNG photo', file: 'image.png', mimetype: 'image/png', options: {}, type: 'image', caption: null },
    { kind: 'an H.264 MP4 video', file: 'video-h264.mp4', mimetype: 'video/mp4', options: { caption: 'moving' }, type: 'video', caption: 'moving' },
    { kind: 'an MP3 audio file', file: 'audio.mp3', mimetype: 'audio/mpeg', options: {}, type: 'audio', caption: null },
    { kind: 'an Ogg Opus voice note', file: 'voice.ogg', mimetype: 'audio/ogg; codecs=opus', options: { sendAudioAsVoice: true }, type: 'ptt', caption: null },
    { kind: 'a PDF document with its filename', file: 'document.pdf', mimetype: 'application/pdf', filename: 'report.pdf', options: { caption: 'the report' }, type: 'document', caption: 'the report' },
    { kind: 'a photo as a document', file: 'image.jpg', mimetype: 'image/jpeg', filename: 'card.jpg', options: { sendMediaAsDocument: true }, type: 'document', caption: null },
    { kind: 'an HEVC video as a document (the usual workaround)', file: 'video-hevc.mp4', mimetype: 'video/mp4', filename: 'clip.mp4', options: { sendMediaAsDocument: true }, type: 'document', caption: null },
  ];

  it.each(kinds)('$kind reaches the emulator as $type, byte for byte', async ({ file, mimetype, filename, options, type, caption }) => {
    const sent = await client.sendMessage(PEER, mediaOf(file, mimetype, filename), options);
    expect(sent).toMatchObject({ hasMedia: true, type, body: caption ?? '' });
    const record = await emulator.waitForSent((entry) => entry.id === sent.id._serialized);
    expect(record).toMatchObject({ from: wid, to: PEER, type, caption, mimetype, filename: type === 'document' ? filename : null, body: caption ?? '' });
    expect(record.size).toBe(fixture(file).length);
    expect(record.sha256).toBe(sha256(fixture(file)));
    expect(emulator.sentMedia(sent.id._serialized)?.equals(fixture(file))).toBe(true);
  });

  it('a photo as a sticker is converted to WebP in the page first', async () => {
    const sent = await client.sendMessage(PEER, mediaOf('image.png', 'image/png'), { sendMediaAsSticker: true });
    expect(sent).toMatchObject({ hasMedia: true, type: 'sticker' });
    const record = await emulator.waitForSent((entry) => entry.id === sent.id._serialized);
    expect(record).toMatchObject({ type: 'sticker', mimetype: 'image/webp', caption: null });
    const bytes = emulator.sentMedia(sent.id._serialized) ?? Buffer.alloc(0);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
    expect(record.sha256).toBe(sha256(bytes));
    expect(record.size).toBe(bytes.length);
  });

  it.each([
    // as from an iPhone: Chromium drops the HEVC track and would play the AAC one alone
    { kind: 'an HEVC video', file: 'video-hevc.mp4', mimetype: 'video/mp4', reason: /media probe failed: video\/mp4 has no video track this browser can decode/ },
    { kind: 'a QuickTime video', file: 'video-h264.mov', mimetype: 'video/quicktime', reason: /media probe failed: video\/quicktime is not a video format this browser plays/ },
    { kind: 'a photo that is not one', file: 'document.pdf', mimetype: 'image/jpeg', reason: /media probe failed: image\/jpeg could not be decoded as an image/ },
  ])('$kind is refused by the media probe: sendMessage rejects and nothing is sent', async ({ file, mimetype, reason }) => {
    const before = emulator.sent().length;
    await expect(client.sendMessage(PEER, mediaOf(file, mimetype, 'clip'))).rejects.toThrow(reason);
    expect(emulator.sent()).toHaveLength(before);
  });

  it('media over the emulator\'s cap: the upload is refused and sendMessage rejects with the code', async () => {
    const small = await startEmulator({ maxMediaBytes: 8 * 1024 });
    try {
      const other = pool.track(newClient(small, pool.profile()));
      const qr = once(other, 'qr', { signal: AbortSignal.timeout(EVENT_MS) });
      await other.initialize();
      const ready = once(other, 'ready', { signal: AbortSignal.timeout(EVENT_MS) });
      await small.scan(String((await qr)[0]));
      await ready;
      await expect(other.sendMessage(PEER, mediaOf('video-h264.mp4', 'video/mp4'))).rejects.toThrow(/upload failed: WAE_MEDIA_TOO_LARGE/);
      expect(small.sent()).toEqual([]);
      await other.destroy();
    } finally {
      await small.close();
    }
  });

  it('media can quote a message', async () => {
    const { message } = await received({ from: PEER, body: 'send me the card' });
    const sent = await client.sendMessage(PEER, mediaOf('image.jpg', 'image/jpeg'), { caption: 'here', quotedMessageId: message.id._serialized });
    expect(sent.hasQuotedMsg).toBe(true);
    await emulator.waitForSent((entry) => entry.id === sent.id._serialized);
  });

  it('a sent media message downloads its own bytes back', async () => {
    const sent = await client.sendMessage(PEER, mediaOf('audio.mp3', 'audio/mpeg'));
    await emulator.waitForSent((entry) => entry.id === sent.id._serialized);
    const media = await sent.downloadMedia();
    expect(media.mimetype).toBe('audio/mpeg');
    expect(Buffer.from(media.data, 'base64').equals(fixture('audio.mp3'))).toBe(true);
  });
});

describe('receiving media', () => {
  it('a delivered photo has media, its caption as body, and downloads byte for byte', async () => {
    const { message } = await received({ from: PEER, body: 'look', media: { data: fixture('image.jpg'), mimetype: 'image/jpeg' } });
    expect(message).toMatchObject({ hasMedia: true, type: 'image', body: 'look', from: PEER, fromMe: false });
    expect(dataOf(message)).toMatchObject({ mimetype: 'image/jpeg', size: fixture('image.jpg').length });
    const media = await message.downloadMedia();
    expect(media.mimetype).toBe('image/jpeg');
    expect(Buffer.from(media.data, 'base64').equals(fixture('image.jpg'))).toBe(true);
  });

  it('a delivered document keeps its filename (base64 data in, no caption)', async () => {
    const { message } = await received({ from: PEER, media: { data: fixture('document.pdf').toString('base64'), mimetype: 'application/pdf', filename: 'invoice.pdf' } });
    expect(message).toMatchObject({ hasMedia: true, type: 'document', body: '' });
    expect(dataOf(message)).toMatchObject({ mimetype: 'application/pdf', filename: 'invoice.pdf', size: fixture('document.pdf').length });
    const media = await message.downloadMedia();
    expect(media).toMatchObject({ mimetype: 'application/pdf', filename: 'invoice.pdf' });
    expect(Buffer.from(media.data, 'base64').equals(fixture('document.pdf'))).toBe(true);
  });

  it('a delivered voice note is a ptt, and getMessageById finds it to download', async () => {
    const { id } = await received({ from: PEER, media: { data: fixture('voice.ogg'), mimetype: 'audio/ogg; codecs=opus', ptt: true } });
    const found = await client.getMessageById(id);
    expect(found).toMatchObject({ hasMedia: true, type: 'ptt' });
    const media = await found?.downloadMedia();
    expect(Buffer.from(media?.data ?? '', 'base64').equals(fixture('voice.ogg'))).toBe(true);
  });

  it('expired media downloads as undefined, whether it was downloaded before or not', async () => {
    const fetched = await received({ from: PEER, media: { data: fixture('image.png'), mimetype: 'image/png' } });
    expect(await fetched.message.downloadMedia()).toBeDefined();
    const untouched = await received({ from: PEER, media: { data: fixture('video-h264.mp4'), mimetype: 'video/mp4' } });
    expect(untouched.message.type).toBe('video');

    emulator.expireMedia(wid, fetched.id);
    emulator.expireMedia(wid, untouched.id);
    expect(await fetched.message.downloadMedia()).toBeUndefined();
    expect(await untouched.message.downloadMedia()).toBeUndefined();
    expect(() => emulator.expireMedia(wid, 'false_15550002222@c.us_NOSUCH')).toThrow(expect.objectContaining({ code: 'WAE_MEDIA_MESSAGE_NOT_FOUND' }));
  });
});

describe('media replies', () => {
  it('delivered media can quote a message, and sent media quoting one is recorded with quotedId and its media fields', async () => {
    const { message: question } = await received({ from: PEER, body: 'which card?' });
    const answer = await client.sendMessage(PEER, 'the usual one');
    await emulator.waitForSent((entry) => entry.id === answer.id._serialized);

    // inbound: a photo replying to what the client sent
    const { message: photo } = await received({ from: PEER, body: 'this?', media: { data: fixture('image.jpg'), mimetype: 'image/jpeg' }, quotedId: answer.id._serialized });
    expect(photo).toMatchObject({ hasMedia: true, type: 'image', body: 'this?', hasQuotedMsg: true });
    const media = await photo.downloadMedia();
    expect(Buffer.from(media.data, 'base64').equals(fixture('image.jpg'))).toBe(true);
    const quoted = await photo.getQuotedMessage();
    expect(quoted.id._serialized).toBe(answer.id._serialized);
    expect(quoted).toMatchObject({ body: 'the usual one', fromMe: true });

    // outbound: a document replying to the photo, and one replying to the first question
    const document = await client.sendMessage(PEER, mediaOf('document.pdf', 'application/pdf', 'card.pdf'), { caption: 'yes', quotedMessageId: photo.id._serialized });
    expect(document).toMatchObject({ hasMedia: true, type: 'document', hasQuotedMsg: true });
    const record = await emulator.waitForSent((entry) => entry.id === document.id._serialized);
    expect(record).toMatchObject({
      from: wid,
      to: PEER,
      body: 'yes',
      type: 'document',
      caption: 'yes',
      mimetype: 'application/pdf',
      filename: 'card.pdf',
      size: fixture('document.pdf').length,
      sha256: sha256(fixture('document.pdf')),
      quotedId: photo.id._serialized,
    });
    expect(emulator.sentMedia(record.id)?.equals(fixture('document.pdf'))).toBe(true);
    const voice = await client.sendMessage(PEER, mediaOf('voice.ogg', 'audio/ogg; codecs=opus'), { sendAudioAsVoice: true, quotedMessageId: question.id._serialized });
    expect(await emulator.waitForSent((entry) => entry.id === voice.id._serialized)).toMatchObject({ type: 'ptt', quotedId: question.id._serialized });
  });
});
