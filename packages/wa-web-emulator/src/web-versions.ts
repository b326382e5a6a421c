/**
 * WhatsApp Web versions, for whatsapp-web.js's `webVersion` and `webVersionCache`. The emulator runs one version
 * at `/` (option `webVersion`); every well-formed version's index page is also served at
 * `/__emulator/web-versions/<version>.html`, over HTTPS and over a plain-HTTP listener of its own: the
 * `remote` cache fetches `remotePath` from Node (node-fetch), which neither goes through Chromium's host rules
 * nor accepts the emulator's self-signed certificate.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from './errors.js';
import { sendJson } from './http-io.js';
import { indexHtml } from './index-html.js';

/** whatsapp-web.js 1.34.7's default `webVersion`, so its version checks take their usual path. */
export const DEFAULT_WEB_VERSION = '2.3000.1017054665';
export const WEB_VERSIONS_PREFIX = '/__emulator/web-versions';

// whatsapp-web.js compares versions digit by digit and strips a `-beta` suffix
const VERSION = /^\d+(\.\d+)+(-beta)?$/;

export function checkWebVersion(version: string): string {
  if (!VERSION.test(version)) throw errors.badRequest(`"${version}" is not a WhatsApp Web version (like ${DEFAULT_WEB_VERSION})`);
  return version;
}

export function sendIndexHtml(response: ServerResponse, version: string): void {
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(indexHtml(version));
}

/** Answers `GET /__emulator/web-versions/<version>.html`; false if the request is not for it. */
export function handleWebVersionRequest(request: IncomingMessage, response: ServerResponse, url: URL): boolean {
  if (request.method !== 'GET' || !url.pathname.startsWith(`${WEB_VERSIONS_PREFIX}/`)) return false;
  const name = url.pathname.slice(WEB_VERSIONS_PREFIX.length + 1);
  const version = name.endsWith('.html') ? name.slice(0, -'.html'.length) : '';
  if (VERSION.test(version)) sendIndexHtml(response, version);
  else sendJson(response, 404, { error: { code: 'WAE_NOT_FOUND', message: `no WhatsApp Web version at ${url.pathname}` } });
  return true;
}

export interface WebVersionArchive {
  /** `http://<host>:<port>/__emulator/web-versions/{version}.html`: `webVersionCache.remotePath` as is. */
  remotePath: string;
  close(): Promise<void>;
}

/** The plain-HTTP listener that serves only the version pages. */
export async function listenForWebVersions(host: string): Promise<WebVersionArchive> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!handleWebVersionRequest(request, response, url)) sendJson(response, 404, { error: { code: 'WAE_NOT_FOUND', message: `nothing at ${url.pathname}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return {
    remotePath: `http://${reachable}:${port}${WEB_VERSIONS_PREFIX}/{version}.html`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
