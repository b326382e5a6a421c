/**
 * Bad media sends through the real app, JSON and multipart: each is a coded 4xx, and nothing is left in the
 * spool directory afterwards (an upload that was already on disk included, and one whose client went away).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, json, multipartForm, useTestApps, waitForSession, type FilePart, type TestApp } from './helpers.js';

const apps = useTestApps();
const MAX = 64 * 1024;
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const jpeg = (size: number): Buffer => Buffer.concat([JPEG_HEAD, randomBytes(size - JPEG_HEAD.length)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300)]);
const TO = '+1 555 000 2222';

async function readySession(test: TestApp, sessionId: string): Promise<void> {
  await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) });
  await waitForSession(test.app, sessionId, 'qr');
  await test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` });
  await waitForSession(test.app, sessionId, 'ready');
}

const spoolFiles = (test: TestApp): string[] => {
  try {
    return readdirSync(test.config.media.spoolDir);
  } catch {
    return [];
  }
};


describe('POST /sessions/:sessionId/messages with media', () => {
  it('refuses every bad input with a coded 4xx and leaves no file in the spool', async () => {
    const test = await apps.open({ MEDIA_MAX_BYTES: String(MAX) });
    await readySession(test, 'media');
    const send = (body: unknown) => test.app.inject({ method: 'POST', url: '/sessions/media/messages', ...json(body) });
    const upload = (fields: Record<string, string>, files: FilePart[] = []) =>
      test.app.inject({ method: 'POST', url: '/sessions/media/messages', ...multipartForm(fields, files) });

    const cases: Array<[string, () => Promise<{ statusCode: number; json(): { code: string; message: string } }>, number, string, string?]> = [
      ['JSON base64 over MEDIA_MAX_BYTES', () => send({ to: TO, media: { data: jpeg(MAX + 1).toString('base64') } }), 413, 'WSM_MEDIA_TOO_LARGE'],
      ['multipart file over MEDIA_MAX_BYTES', () => upload({ to: TO }, [{ filename: 'big.jpg', contentType: 'image/jpeg', data: jpeg(3 * MAX) }]), 413, 'WSM_MEDIA_TOO_LARGE'],
      ['multipart without a file', () => upload({ to: TO, caption: 'where is it' }), 400, 'WSM_MEDIA_MISSING'],
      ['multipart with two files', () => upload({ to: TO }, [{ data: jpeg(100) }, { data: jpeg(100) }]), 400, 'WSM_VALIDATION_FAILED', 'more than one file'],
      ['multipart with a bad boolean', () => upload({ to: TO, asDocument: 'yes' }, [{ data: jpeg(100) }]), 400, 'WSM_VALIDATION_FAILED', 'body.asDocument must be a boolean'],
      ['multipart with a long caption', () => upload({ to: TO, caption: 'x'.repeat(4097) }, [{ data: jpeg(100) }]), 400, 'WSM_VALIDATION_FAILED', 'body.caption must NOT have more than 4096 characters'],
      ['multipart with text', () => upload({ to: TO, text: 'hi' }, [{ data: jpeg(100) }]), 400, 'WSM_VALIDATION_FAILED', "unknown field 'text'"],
      ['multipart with a lying part type', () => upload({ to: TO }, [{ filename: 'photo.png', contentType: 'image/png', data: PDF }]), 415, 'WSM_MEDIA_TYPE_MISMATCH', 'declared image/png but its bytes are a PDF'],
      ['both text and media', () => send({ to: TO, text: 'hi', media: { data: jpeg(100).toString('base64') } }), 400, 'WSM_VALIDATION_FAILED', 'exactly one of text or media, not both'],
      ['neither text nor media', () => send({ to: TO }), 400, 'WSM_VALIDATION_FAILED', 'exactly one of text or media'],
      ['both url and data', () => send({ to: TO, media: { url: 'https://example.com/a.jpg', data: 'AAAA' } }), 400, 'WSM_VALIDATION_FAILED', 'exactly one of url or data'],
      ['a caption on a text', () => send({ to: TO, text: 'hi', caption: 'no' }), 400, 'WSM_VALIDATION_FAILED', 'body.caption goes with media'],
      ['asVoice with an image mimetype', () => send({ to: TO, media: { data: jpeg(100).toString('base64'), mimetype: 'image/jpeg' }, asVoice: true }), 400, 'WSM_VALIDATION_FAILED', 'asVoice needs audio'],
      ['asSticker on a PDF', () => send({ to: TO, media: { data: PDF.toString('base64') }, asSticker: true }), 400, 'WSM_VALIDATION_FAILED', 'asSticker needs an image'],
      ['a malformed replyTo', () => send({ to: TO, text: 'hi', replyTo: 'not an id' }), 400, 'WSM_VALIDATION_FAILED', 'body.replyTo'],
      ['invalid base64', () => send({ to: TO, media: { data: 'this is not base64!' } }), 400, 'WSM_MEDIA_INVALID_BASE64'],
      ['a lying mimetype', () => send({ to: TO, media: { data: PDF.toString('base64'), mimetype: 'image/png' } }), 415, 'WSM_MEDIA_TYPE_MISMATCH', 'declared image/png but its bytes are a PDF'],
      ['a URL that is not http(s)', () => send({ to: TO, media: { url: 'ftp://example.com/a.jpg' } }), 400, 'WSM_MEDIA_URL_REFUSED'],
      ['media for a session that does not exist', () => test.app.inject({ method: 'POST', url: '/sessions/nobody/messages', ...multipartForm({ to: TO }, [{ data: jpeg(100) }]) }), 404, 'WSM_SESSION_NOT_FOUND'],
      // Checked, spooled, then refused by the session: nothing sent, the file removed.
      ['a reply to a message the session does not know', () => upload({ to: TO, caption: 'packed', replyTo: 'false_15550002222@c.us_3EB0DEAD' }, [{ filename: 'photo.jpg', data: jpeg(5000) }]), 404, 'WSM_MESSAGE_NOT_FOUND'],
    ];
    for (const [name, request, status, code, message] of cases) {
      const reply = await request();
      expect(reply.statusCode, `${name}: ${JSON.stringify(reply.json())}`).toBe(status);
      expect(reply.json().code, name).toBe(code);
      if (message !== undefined) expect(reply.json().message, name).toContain(message);
      expect(spoolFiles(test), name).toEqual([]);
    }

    // A JSON body larger than even the send route takes: refused before it is read, naming the route's limit.
    const huge = await test.app.inject({
      method: 'POST',
      url: '/sessions/media/messages',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ to: TO, media: { data: 'A'.repeat(2 * 1024 * 1024) } }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'WSM_BODY_TOO_LARGE', message: expect.stringContaining(String(1024 * 1024)) });

    // Text still goes out as before, and other routes still refuse multipart.
    const text = await send({ to: TO, text: 'still here' });
    expect(text.statusCode).toBe(201);
    const other = await test.app.inject({ method: 'POST', url: '/sessions', ...multipartForm({ sessionId: 'x' }) });
    expect(other.json()).toMatchObject({ statusCode: 415, code: 'WSM_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('removes the partial upload of a client that goes away mid-file', async () => {
    const test = await apps.open({ MEDIA_MAX_BYTES: String(8 * 1024 * 1024) });
    await test.app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'upload', start: false }) });
    await test.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = test.app.server.address() as AddressInfo;
    const { headers, payload } = multipartForm({ to: TO }, [{ filename: 'video.mp4', data: randomBytes(4 * 1024 * 1024) }]);
    const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/sessions/upload/messages', headers: { ...headers, 'content-length': String(payload.length) } });
    request.on('error', () => undefined);
    // Half the body, then wait for the file to be spooling, then hang up.
    request.write(payload.subarray(0, payload.length / 2));
    await eventually(() => spoolFiles(test).length === 1, 10_000, 'the upload to reach the spool');
    request.destroy();
    await eventually(() => spoolFiles(test).length === 0, 10_000, 'the partial upload to be removed');
  });
});
