/**
 * Bytes over loopback HTTP for the media benchmark: a multipart/form-data upload (text fields, then one file
 * part from a Buffer or streamed from disk) and a download that counts the answer's bytes and keeps none.
 * Both go through the caller's keep-alive agent and resolve with `ms`, from the call to the answer's last byte.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { jsonAnswer } from './http.mjs';

/**
 * A form of `fields` and one file part (`bytes`, or the file at `path`), built once: its parts before and after
 * the file's bytes, and its total length (so the upload carries a content-length, as a browser's would).
 */
export function multipartForm({ fields, file }) {
  const boundary = `----bench${randomBytes(12).toString('hex')}`;
  const fieldParts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const head = Buffer.from(
    `${fieldParts.join('')}--${boundary}\r\ncontent-disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
      `content-type: ${file.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const fileSize = file.bytes?.length ?? statSync(file.path).size;
  return { contentType: `multipart/form-data; boundary=${boundary}`, head, tail, file, length: head.length + fileSize + tail.length };
}

async function* formChunks(form) {
  yield form.head;
  if (form.file.bytes !== undefined) yield form.file.bytes;
  else yield* createReadStream(form.file.path, { highWaterMark: 256 * 1024 });
  yield form.tail;
}

/** POSTs `form` to `url`; resolves { status, body (parsed JSON, if any), ms }. */
export function upload(agent, url, form, headers = {}) {
  const target = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: target.pathname,
        headers: { ...headers, 'content-type': form.contentType, 'content-length': form.length },
      },
      (response) => jsonAnswer(response, started).then(resolve, reject),
    );
    request.on('error', reject);
    pipeline(Readable.from(formChunks(form)), request).catch(reject);
  });
}

/** GETs `url`; resolves { status, bytes (how many the answer carried), ms }. */
export function download(agent, url, headers = {}) {
  const target = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.get({ agent, host: target.hostname, port: target.port, path: target.pathname, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk) => (bytes += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode, bytes, ms: performance.now() - started }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
