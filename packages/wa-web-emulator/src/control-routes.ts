/**
 * The HTTP control API for developers (`/__emulator/control/...`, JSON in and out), the same calls as the
 * library's `Emulator`. Enabled by the CLI; off by default in the library.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulation } from './emulation.js';
import { asBody, optionalBoolean, optionalInteger, optionalText, optionalTextList, readJson, sendError, sendJson, text, type Body } from './http-io.js';
import { deliveryOf, jsonLimitFor } from './media-bodies.js';
import { SOCIAL_GET, SOCIAL_POST } from './social-routes.js';

export const CONTROL_PREFIX = '/__emulator/control';

const DEFAULT_DROP_MS = 1000;

type Route = (emulation: Emulation, body: Body) => unknown;

const GET: Record<string, (emulation: Emulation) => unknown> = {
  clients: (emulation) => emulation.clients.views(),
  sent: (emulation) => emulation.sentLog.all(),
  overlaps: (emulation) => emulation.overlaps.all(),
  status: (emulation) => emulation.status(),
  'unimplemented-modules': (emulation) => emulation.unimplementedModules(),
  ...SOCIAL_GET,
};

const POST: Record<string, Route> = {
  scan: (emulation, body) => {
    const phone = optionalText(body, 'phone');
    const pushname = optionalText(body, 'pushname');
    return emulation.scan(text(body, 'qr'), { ...(phone === undefined ? {} : { phone }), ...(pushname === undefined ? {} : { pushname }) });
  },
  'pairing-code': (emulation, body) => {
    const pushname = optionalText(body, 'pushname');
    return emulation.enterPairingCode(text(body, 'code'), pushname === undefined ? {} : { pushname });
  },
  deliver: (emulation, body) => emulation.deliver(text(body, 'to'), deliveryOf(body)),
  'expire-media': (emulation, body) => {
    emulation.expireMedia(text(body, 'wid'), text(body, 'id'));
    return {};
  },
  drop: async (emulation, body) => {
    await emulation.dropConnection(text(body, 'wid'), optionalInteger(body, 'forMs') ?? DEFAULT_DROP_MS);
    return {};
  },
  logout: async (emulation, body) => {
    await emulation.logout(text(body, 'wid'));
    return {};
  },
  behavior: (emulation, body) => {
    const withholdReady = optionalBoolean(body, 'withholdReady');
    const unregistered = optionalTextList(body, 'unregistered');
    emulation.setBehavior({ ...(withholdReady === undefined ? {} : { withholdReady }), ...(unregistered === undefined ? {} : { unregistered }) });
    return {};
  },
  ...SOCIAL_POST,
};

/** Answers the request if it is a control call; false if it is not. */
export async function handleControlRequest(emulation: Emulation, request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
  if (!url.pathname.startsWith(`${CONTROL_PREFIX}/`)) return false;
  const name = url.pathname.slice(CONTROL_PREFIX.length + 1);
  try {
    const get = request.method === 'GET' ? GET[name] : undefined;
    const post = request.method === 'POST' ? POST[name] : undefined;
    if (get !== undefined) sendJson(response, 200, get(emulation));
    else if (post !== undefined) sendJson(response, 200, await post(emulation, asBody(await readJson(request, jsonLimitFor(emulation.media.maxBytes)))));
    else sendJson(response, 404, { error: { code: 'WAE_NOT_FOUND', message: `no control route ${request.method} ${url.pathname}` } });
  } catch (error) {
    sendError(response, error);
  }
  return true;
}

