/**
 * Media over HTTP, raw bytes rather than JSON:
 *
 *   POST <page prefix>/media/upload          the page uploads what it sends (content-type: its mimetype)
 *                                            → MediaUploadReply; 413 WAE_MEDIA_TOO_LARGE above the cap
 *   GET  <page prefix>/media<directPath>     the page downloads media, as from WhatsApp's media servers;
 *                                            404 when unknown or expired
 *   GET  <control prefix>/sent/<id>/media    the control side reads the bytes of a sent media message
 *
 * The page's routes live under its prefix so they are same-origin for it and never shadow WhatsApp's paths.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaUploadReply } from '../page/protocol.js';
import { CONTROL_PREFIX } from './control-routes.js';
import type { Emulation } from './emulation.js';
import { errors } from './errors.js';
import { sendError, sendJson } from './http-io.js';
import { PAGE_PREFIX } from './index-html.js';
import type { StoredMedia } from './media-store.js';

const MEDIA_PREFIX = `${PAGE_PREFIX}/media`;
const SENT_MEDIA = new RegExp(`^${CONTROL_PREFIX}/sent/([^/]+)/media$`);

/** Answers the request if it is about media; false if it is not. */
export async function handleMediaRequest(
  emulation: Emulation,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  controlApi: boolean,
): Promise<boolean> {
  const { pathname } = url;
  const sent = controlApi && request.method === 'GET' ? SENT_MEDIA.exec(pathname) : null;
  const page = pathname.startsWith(`${MEDIA_PREFIX}/`);
  if (sent === null && !page) return false;
  try {
    if (sent !== null) {
      const id = decodeURIComponent(sent[1] ?? '');
      const bytes = emulation.sentMedia(id);
      if (bytes === undefined) throw errors.mediaNotFound(`sent message ${id}`);
      sendBytes(response, emulation.media.ofMessage(id)?.mimetype ?? 'application/octet-stream', bytes);
    } else if (request.method === 'POST' && pathname === `${MEDIA_PREFIX}/upload`) {
      const mimetype = request.headers['content-type'] ?? 'application/octet-stream';
      const stored = emulation.media.put(await readBytes(request, emulation.media.maxBytes), mimetype);
      sendJson(response, 200, replyFor(stored));
    } else if (request.method === 'GET') {
      const stored = emulation.media.download(pathname.slice(MEDIA_PREFIX.length));
      sendBytes(response, stored.mimetype, stored.bytes);
    } else {
      sendJson(response, 404, { error: { code: 'WAE_NOT_FOUND', message: `no media route ${request.method} ${pathname}` } });
    }
  } catch (error) {
    sendError(response, error);
  }
  return true;
}

const replyFor = (stored: StoredMedia): MediaUploadReply => ({ directPath: stored.directPath, size: stored.bytes.length, filehash: stored.filehash });

function sendBytes(response: ServerResponse, mimetype: string, bytes: Buffer): void {
  response.writeHead(200, { 'content-type': mimetype, 'content-length': bytes.length, 'cache-control': 'no-store' });
  response.end(bytes);
}

/**
 * The body, up to `maxBytes`. A larger one is read to its end before the refusal: a browser still sending
 * when the answer comes may report a network error instead of the 413.
 */
async function readBytes(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (size > maxBytes) throw errors.mediaTooLarge(maxBytes);
  return Buffer.concat(chunks);
}
