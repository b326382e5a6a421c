/**
 * The media routes over HTTPS without Chromium: delivering media through the control API, the page's
 * download and upload routes, a sent media message's bytes, expiry, and the size cap. A FakePage stands in
 * for the browser (test/helpers/fake-page.ts); the real page is in media.test.ts.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaUploadReply } from '../page/protocol.js';
import { PAGE_PREFIX } from '../src/index-html.js';
import { CONTROL_PREFIX, startEmulator, type Emulator } from '../src/index.js';
import { FakePage } from './helpers/fake-page.js';

const agent = new Agent({ rejectUnauthorized: false });
const PDF = Buffer.from('%PDF-1.4\n% not much of a document\n%%EOF\n');

interface Answer {
  status: number;
  type: string | undefined;
  bytes: Buffer;
  json: () => unknown;
}

async function call(origin: string, method: string, path: string, body?: Buffer | object, contentType = 'application/json'): Promise<Answer> {
  const req = request(new URL(path, origin), { agent, method, headers: body === undefined ? {} : { 'content-type': contentType } });
  req.end(body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body));
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  return { status: response.statusCode ?? 0, type: response.headers['content-type'], bytes, json: () => JSON.parse(bytes.toString('utf8')) as unknown };
}

let emulator: Emulator;
let page: FakePage;
let wid: string;

beforeAll(async () => {
  emulator = await startEmulator({ controlApi: true, maxMediaBytes: 4096 });
  page = await FakePage.connect(emulator.origin, null);
  ({ wid } = await emulator.scan(page.qr));
});

afterAll(async () => {
  page.close();
  await emulator.close();
});

describe('media over HTTP', () => {
  it('a delivery with base64 media reaches the page by path; the page downloads it until it expires', async () => {
    const delivered = await call(emulator.origin, 'POST', `${CONTROL_PREFIX}/deliver`, {
      to: wid,
      from: '15550002222',
      media: { data: PDF.toString('base64'), mimetype: 'application/pdf', filename: 'a.pdf' },
    });
    expect(delivered.status).toBe(200);
    const { id } = delivered.json() as { id: string };
    const command = await page.waitForCommand('message');
    expect(command.message).toMatchObject({
      serialized: id,
      body: '',
      media: { type: 'document', mimetype: 'application/pdf', filename: 'a.pdf', size: PDF.length, caption: null, filehash: createHash('sha256').update(PDF).digest('base64') },
    });
    const path = `${PAGE_PREFIX}/media${command.message.media?.directPath ?? ''}`;
    expect(await call(emulator.origin, 'GET', path)).toMatchObject({ status: 200, type: 'application/pdf', bytes: PDF });

    expect((await call(emulator.origin, 'POST', `${CONTROL_PREFIX}/expire-media`, { wid, id })).status).toBe(200);
    const gone = await call(emulator.origin, 'GET', path);
    expect(gone.status).toBe(404);
    expect(gone.json()).toMatchObject({ error: { code: 'WAE_MEDIA_EXPIRED' } });
    expect((await call(emulator.origin, 'POST', `${CONTROL_PREFIX}/expire-media`, { wid: '15550009999', id })).json()).toMatchObject({
      error: { code: 'WAE_MEDIA_MESSAGE_NOT_FOUND' },
    });
  });

  it('what a page uploads and then reports sent is in the sent record, and its bytes at sent/<id>/media', async () => {
    const upload = await call(emulator.origin, 'POST', `${PAGE_PREFIX}/media/upload`, PDF, 'application/pdf');
    expect(upload.status).toBe(200);
    const { directPath } = upload.json() as MediaUploadReply;
    const id = `true_15550002222@c.us_3EB0${'A'.repeat(18)}`;
    const report = { clientId: page.clientId, id, to: '15550002222@c.us', body: 'x', timestamp: 1, media: { type: 'document', caption: 'x', mimetype: 'application/pdf', filename: 'a.pdf', directPath } };
    expect((await call(emulator.origin, 'POST', `${PAGE_PREFIX}/sent`, report)).status).toBe(200);

    const sha256 = createHash('sha256').update(PDF).digest('hex');
    expect(emulator.sent()).toContainEqual(expect.objectContaining({ id, type: 'document', caption: 'x', mimetype: 'application/pdf', filename: 'a.pdf', size: PDF.length, sha256 }));
    expect(await call(emulator.origin, 'GET', `${CONTROL_PREFIX}/sent/${encodeURIComponent(id)}/media`)).toMatchObject({ status: 200, type: 'application/pdf', bytes: PDF });
    expect(emulator.sentMedia(id)).toEqual(PDF);
    expect((await call(emulator.origin, 'GET', `${CONTROL_PREFIX}/sent/nope/media`)).status).toBe(404);
  });

  it('refuses media over the cap with 413 WAE_MEDIA_TOO_LARGE, uploaded or delivered', async () => {
    const big = Buffer.alloc(4097);
    const upload = await call(emulator.origin, 'POST', `${PAGE_PREFIX}/media/upload`, big, 'image/jpeg');
    expect(upload.status).toBe(413);
    expect(upload.json()).toMatchObject({ error: { code: 'WAE_MEDIA_TOO_LARGE' } });
    const delivery = await call(emulator.origin, 'POST', `${CONTROL_PREFIX}/deliver`, { to: wid, from: '15550002222', media: { data: big.toString('base64'), mimetype: 'image/jpeg' } });
    expect(delivery).toMatchObject({ status: 413 });
    await expect(emulator.deliver(wid, { from: '15550002222', media: { data: big, mimetype: 'image/jpeg' } })).rejects.toMatchObject({ code: 'WAE_MEDIA_TOO_LARGE' });
  });

  it('refuses media that is not base64, and a message with neither body nor media', async () => {
    const bad = await call(emulator.origin, 'POST', `${CONTROL_PREFIX}/deliver`, { to: wid, from: '15550002222', media: { data: 'not base64!', mimetype: 'image/jpeg' } });
    expect(bad).toMatchObject({ status: 400 });
    expect(bad.json()).toMatchObject({ error: { message: '"media.data" must be base64' } });
    await expect(emulator.deliver(wid, { from: '15550002222' })).rejects.toMatchObject({ code: 'WAE_BAD_REQUEST' });
  });
});
