/**
 * The media intake against a real HTTP server on loopback and real files: what it spools, and that every
 * refusal is coded and leaves the spool directory empty.
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MediaIntake, type MediaWanted } from '../src/media/media-intake.js';
import { isBlockedAddress } from '../src/net/address-guard.js';
import { removeDir, tempDataDir } from './helpers.js';

const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const PDF_HEAD = Buffer.from('%PDF-1.7\n');
const jpeg = (size: number): Buffer => Buffer.concat([JPEG_HEAD, randomBytes(size - JPEG_HEAD.length)]);
const MAX = 64 * 1024;
const plain: MediaWanted = { asDocument: false, asVoice: false, asSticker: false };

type Handler = (request: IncomingMessage, response: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base = '';
const dirs: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const handler = routes.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (handler === undefined) {
      response.writeHead(404).end('no such file');
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  routes.clear();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function intake(options: Partial<ConstructorParameters<typeof MediaIntake>[0]> = {}): { intake: MediaIntake; spoolDir: string } {
  const dir = tempDataDir();
  dirs.push(dir);
  const spoolDir = join(dir, 'media', 'spool');
  return { intake: new MediaIntake({ spoolDir, maxBytes: MAX, fetchTimeoutMs: 2_000, ...options }), spoolDir };
}

/** Files left in the spool directory (none, or it was never made, is what every refusal must leave). */
const leftIn = (spoolDir: string): string[] => {
  try {
    return readdirSync(spoolDir);
  } catch {
    return [];
  }
};

async function refusal(promise: Promise<unknown>): Promise<{ statusCode: number; code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode: number; code: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('media from a URL', () => {
  it('spools the bytes as they are, with their sha256, type from the answer and name from the path', async () => {
    const body = jpeg(40_000);
    routes.set('/photos/cat%20one.jpg', (_request, response) => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(body));
    const { intake: media, spoolDir } = intake();
    const spooled = await media.fromUrl(`${base}/photos/cat%20one.jpg?size=large`, plain);
    expect(readFileSync(spooled.path).equals(body)).toBe(true);
    expect(spooled).toMatchObject({
      size: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      mimetype: 'image/jpeg',
      filename: 'cat one.jpg',
    });
    expect(leftIn(spoolDir)).toHaveLength(1);
    await media.discard(spooled);
    expect(leftIn(spoolDir)).toEqual([]);
  });

  it('refuses a Content-Length over the cap before reading, and a chunked body at the first byte too many', async () => {
    routes.set('/big', (_request, response) => response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': MAX + 1 }).end(jpeg(MAX + 1)));
    let sent = 0;
    let aborted = false;
    routes.set('/endless', (request, response) => {
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      response.on('close', () => (aborted = true));
      const more = (): void => {
        // Chunked, and far more than the cap if nobody stopped reading.
        while (!aborted && sent < 100 * MAX && response.write(jpeg(8192))) sent += 8192;
        if (!aborted && sent < 100 * MAX) response.once('drain', more);
      };
      more();
      void request;
    });
    const { intake: media, spoolDir } = intake();
    expect(await refusal(media.fromUrl(`${base}/big`, plain))).toMatchObject({ statusCode: 413, code: 'WSM_MEDIA_TOO_LARGE' });
    expect(await refusal(media.fromUrl(`${base}/endless`, plain))).toMatchObject({ statusCode: 413, code: 'WSM_MEDIA_TOO_LARGE' });
    expect(sent).toBeLessThan(50 * MAX);
    expect(leftIn(spoolDir)).toEqual([]);
  });

  it('gives up on a slow server after MEDIA_FETCH_TIMEOUT_MS', async () => {
    routes.set('/slow', (_request, response) => {
      // Headers, a first chunk, then nothing.
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      response.write(JPEG_HEAD);
    });
    routes.set('/silent', () => undefined);
    const { intake: media, spoolDir } = intake({ fetchTimeoutMs: 300 });
    for (const path of ['/slow', '/silent']) {
      const started = Date.now();
      const error = await refusal(media.fromUrl(`${base}${path}`, plain));
      expect(error).toMatchObject({ statusCode: 422, code: 'WSM_MEDIA_FETCH_FAILED', message: expect.stringContaining('within 300 ms') });
      expect(Date.now() - started).toBeLessThan(3_000);
    }
    expect(leftIn(spoolDir)).toEqual([]);
  });

  it('follows redirects, each checked by the address guard: a redirect to a private address is refused', async () => {
    const body = jpeg(1000);
    routes.set('/moved', (_request, response) => response.writeHead(302, { location: '/here.jpg' }).end());
    routes.set('/here.jpg', (_request, response) => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(body));
    routes.set('/to-metadata', (_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    routes.set('/to-loopback', (_request, response) => response.writeHead(307, { location: `http://127.0.0.2:${new URL(base).port}/here.jpg` }).end());
    routes.set('/to-file', (_request, response) => response.writeHead(302, { location: 'file:///etc/passwd' }).end());
    routes.set('/loop', (_request, response) => response.writeHead(302, { location: '/loop' }).end());
    // The real guard, except for the one loopback address this test's server listens on (nothing public is reachable here).
    const { intake: media, spoolDir } = intake({ isBlocked: (address) => address !== '127.0.0.1' && isBlockedAddress(address) });
    const spooled = await media.fromUrl(`${base}/moved`, plain);
    expect(readFileSync(spooled.path).equals(body)).toBe(true);
    await media.discard(spooled);
    expect(await refusal(media.fromUrl(`${base}/to-metadata`, plain))).toMatchObject({ statusCode: 400, code: 'WSM_ADDRESS_BLOCKED' });
    expect(await refusal(media.fromUrl(`${base}/to-loopback`, plain))).toMatchObject({ statusCode: 400, code: 'WSM_ADDRESS_BLOCKED', message: expect.stringContaining('127.0.0.2') });
    expect(await refusal(media.fromUrl(`${base}/to-file`, plain))).toMatchObject({ statusCode: 400, code: 'WSM_MEDIA_URL_REFUSED' });
    expect(await refusal(media.fromUrl(`${base}/loop`, plain))).toMatchObject({ statusCode: 422, code: 'WSM_MEDIA_FETCH_FAILED', message: expect.stringContaining('redirects') });
    // With the guard as configured (nothing allowed), the server itself is out of reach.
    const guarded = intake({ isBlocked: isBlockedAddress });
    expect(await refusal(guarded.intake.fromUrl(`${base}/here.jpg`, plain))).toMatchObject({ code: 'WSM_ADDRESS_BLOCKED' });
    expect(await refusal(guarded.intake.fromUrl(`http://localhost:${new URL(base).port}/here.jpg`, plain))).toMatchObject({ code: 'WSM_ADDRESS_BLOCKED' });
    expect([...leftIn(spoolDir), ...leftIn(guarded.spoolDir)]).toEqual([]);
  });

  it('answers a non-2xx, an unreachable host and a bad scheme with coded errors', async () => {
    routes.set('/gone', (_request, response) => response.writeHead(410).end());
    const { intake: media, spoolDir } = intake();
    expect(await refusal(media.fromUrl(`${base}/missing.jpg`, plain))).toMatchObject({ statusCode: 422, code: 'WSM_MEDIA_FETCH_FAILED', message: expect.stringContaining('404 Not Found') });
    expect(await refusal(media.fromUrl(`${base}/gone`, plain))).toMatchObject({ statusCode: 422, message: expect.stringContaining('410') });
    // A port nothing listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await refusal(media.fromUrl(`http://127.0.0.1:${port}/x.jpg`, plain))).toMatchObject({ statusCode: 422, message: expect.stringContaining('ECONNREFUSED') });
    for (const url of ['ftp://example.com/x.jpg', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      expect(await refusal(media.fromUrl(url, plain)), url).toMatchObject({ statusCode: 400, code: 'WSM_MEDIA_URL_REFUSED' });
    }
    expect(leftIn(spoolDir)).toEqual([]);
  });

  it('refuses a URL whose bytes are not what its content-type or name says, unless sent as a document', async () => {
    routes.set('/invoice.png', (_request, response) => response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.concat([PDF_HEAD, randomBytes(500)])));
    const { intake: media, spoolDir } = intake();
    expect(await refusal(media.fromUrl(`${base}/invoice.png`, plain))).toMatchObject({
      statusCode: 415,
      code: 'WSM_MEDIA_TYPE_MISMATCH',
      message: 'The media is declared image/png but its bytes are a PDF',
    });
    expect(leftIn(spoolDir)).toEqual([]);
    const document = await media.fromUrl(`${base}/invoice.png`, { ...plain, asDocument: true, filename: 'invoice.pdf', mimetype: 'application/pdf' });
    expect(document).toMatchObject({ mimetype: 'application/pdf', filename: 'invoice.pdf' });
    await media.discard(document);
  });
});

describe('media from base64 and streams', () => {
  it('decodes strict base64 (or a data: URL) into the spool', async () => {
    const body = jpeg(3000);
    const { intake: media, spoolDir } = intake();
    const spooled = await media.fromBase64(body.toString('base64'), plain);
    expect(readFileSync(spooled.path).equals(body)).toBe(true);
    expect(spooled).toMatchObject({ mimetype: 'image/jpeg', filename: null, size: 3000 });
    const pdf = await media.fromBase64(`data:application/pdf;base64,${Buffer.concat([PDF_HEAD, randomBytes(100)]).toString('base64')}`, plain);
    expect(pdf).toMatchObject({ mimetype: 'application/pdf', filename: 'file.pdf' });
    await media.discard(spooled);
    await media.discard(pdf);
    expect(leftIn(spoolDir)).toEqual([]);
  });

  it('refuses invalid base64, empty media, oversized data and a lying mimetype, leaving nothing', async () => {
    const { intake: media, spoolDir } = intake();
    const valid = jpeg(MAX - 100).toString('base64');
    // The bad character late, after whole slices were written already.
    const late = `${valid.slice(0, -8)}#${valid.slice(-7)}`;
    for (const data of ['abc', 'ab=c', 'aGVsbG8gd29ybGQ=\n', late, 'data:image/jpeg,notbase64']) {
      expect(await refusal(media.fromBase64(data, plain)), data.slice(0, 20)).toMatchObject({ statusCode: 400, code: 'WSM_MEDIA_INVALID_BASE64' });
    }
    expect(await refusal(media.fromBase64('', plain))).toMatchObject({ statusCode: 400, code: 'WSM_MEDIA_EMPTY' });
    expect(await refusal(media.fromBase64(jpeg(MAX + 1).toString('base64'), plain))).toMatchObject({ statusCode: 413, code: 'WSM_MEDIA_TOO_LARGE' });
    expect(await refusal(media.fromBase64(jpeg(500).toString('base64'), { ...plain, mimetype: 'audio/ogg' }))).toMatchObject({
      statusCode: 415,
      message: 'The media is declared audio/ogg but its bytes are a JPEG image',
    });
    expect(await refusal(media.fromBase64(jpeg(500).toString('base64'), { ...plain, asVoice: true }))).toMatchObject({ code: 'WSM_VALIDATION_FAILED' });
    expect(leftIn(spoolDir)).toEqual([]);
  });

  it('removes a stream that fails half-way', async () => {
    const { intake: media, spoolDir } = intake();
    async function* broken(): AsyncGenerator<Buffer> {
      yield jpeg(10_000);
      throw new Error('client went away');
    }
    await expect(media.spool(Readable.from(broken()))).rejects.toThrow('client went away');
    expect(leftIn(spoolDir)).toEqual([]);
  });
});
