/**
 * What the emulated page asks of the server: its files, its event stream, and its reports
 * (`POST /__emulator/page/<op>`, bodies as in page/protocol.ts, checked here on receipt).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { DeviceKeys, PageOps } from '../page/protocol.js';
import type { Emulation } from './emulation.js';
import { errors } from './errors.js';
import { asBody, integer, nullableText, optionalText, readJson, sendError, sendJson, text, type Body } from './http-io.js';
import { PAGE_PREFIX } from './index-html.js';
import { sentMediaReportOf } from './media-bodies.js';
import { SOCIAL_PAGE_OPS } from './social-routes.js';
import { sendIndexHtml } from './web-versions.js';

// from src/ (tests run the sources) and dist/ alike, the built page is in dist/page
const PAGE_DIR = fileURLToPath(new URL('../dist/page/', import.meta.url));
const PAGE_FILE = /^[a-z][a-z-]*\.js$/;

const keysOf = (body: Body): DeviceKeys => {
  const keys = asBody(body['keys']);
  return { staticKey: text(keys, 'staticKey'), identityKey: text(keys, 'identityKey'), advSecret: text(keys, 'advSecret'), platform: text(keys, 'platform') };
};

type Handler = (emulation: Emulation, body: Body) => unknown;

const OPS: { [K in keyof PageOps]: Handler } = {
  hello: (emulation, body) => emulation.hello({ clientId: nullableText(body, 'clientId'), token: nullableText(body, 'token'), keys: keysOf(body) }),
  state: (emulation, body) => emulation.pageState(text(body, 'clientId'), text(body, 'state')),
  ack: (emulation, body) => emulation.pageAck(text(body, 'clientId'), integer(body, 'seq'), nullableText(body, 'error')),
  'pairing-code': (emulation, body) => emulation.requestPairingCode(text(body, 'clientId'), text(body, 'phone')),
  'qr-linking': (emulation, body) => emulation.qrLinking(text(body, 'clientId')),
  'refresh-qr': (emulation, body) => emulation.refreshQr(text(body, 'clientId')),
  sent: (emulation, body) => {
    const quotedId = optionalText(body, 'quotedId');
    return emulation.recordSent({
      clientId: text(body, 'clientId'),
      id: text(body, 'id'),
      to: text(body, 'to'),
      body: text(body, 'body'),
      timestamp: integer(body, 'timestamp'),
      media: sentMediaReportOf(body),
      ...(quotedId === undefined ? {} : { quotedId }),
    });
  },
  logout: (emulation, body) => emulation.logoutFromPage(text(body, 'clientId')),
  attached: (emulation, body) => emulation.pageAttached(text(body, 'clientId')),
  'missing-module': (emulation, body) => emulation.missingModule(text(body, 'name')),
  ...SOCIAL_PAGE_OPS,
};

const isOp = (name: string): name is keyof PageOps => Object.hasOwn(OPS, name);

/** Answers the request if it is the page's; false if it is not. */
export async function handlePageRequest(emulation: Emulation, request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
  const { pathname } = url;
  if (request.method === 'GET' && pathname === '/') {
    sendIndexHtml(response, emulation.webVersion);
    return true;
  }
  if (request.method === 'GET' && pathname === '/favicon.ico') {
    response.writeHead(204).end(); // the browser asks for one; an error in the page's console helps nobody
    return true;
  }
  if (!pathname.startsWith(`${PAGE_PREFIX}/`)) return false;
  const name = pathname.slice(PAGE_PREFIX.length + 1);
  try {
    if (request.method === 'GET' && name === 'events') {
      emulation.openEvents(url.searchParams.get('clientId') ?? '', response);
    } else if (request.method === 'GET' && PAGE_FILE.test(name)) {
      await servePageFile(response, name);
    } else if (request.method === 'POST' && isOp(name)) {
      const result = OPS[name](emulation, asBody(await readJson(request)));
      sendJson(response, 200, result ?? {});
    } else {
      sendJson(response, 404, { error: { code: 'WAE_NOT_FOUND', message: `no page route ${request.method} ${pathname}` } });
    }
  } catch (error) {
    sendError(response, error);
  }
  return true;
}

async function servePageFile(response: ServerResponse, name: string): Promise<void> {
  let source: string;
  try {
    source = await readFile(`${PAGE_DIR}${name}`, 'utf8');
  } catch (cause) {
    throw Object.assign(errors.badRequest(`no page file ${name} (is the package built? run tsc -b)`), { cause });
  }
  // no caching: a persistent browser profile must pick up a rebuilt page
  response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
  response.end(source);
}
