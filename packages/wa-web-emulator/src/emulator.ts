/**
 * `startEmulator`: a certificate, an HTTPS server for the page and (optionally) the control API, and the
 * emulation behind them, exposed as the `Emulator` tests and the CLI drive.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCertificate } from './certificate.js';
import { chromiumArgs, WHATSAPP_WEB_HOST } from './chromium-args.js';
import type { ClientView } from './client-registry.js';
import { handleControlRequest } from './control-routes.js';
import { Emulation, type AccountRequest, type Behavior, type EmulatorStatus } from './emulation.js';
import { sendError, sendJson } from './http-io.js';
import { listen } from './https-server.js';
import type { Delivery } from './media-messages.js';
import { handleMediaRequest } from './media-routes.js';
import { DEFAULT_MAX_MEDIA_BYTES } from './media-store.js';
import type { Overlap } from './overlap-log.js';
import { handlePageRequest } from './page-routes.js';
import type { SentRecord } from './sent-log.js';
import type { Reaction, ReactionRequest, Revoke, Seen } from './social.js';
import { checkWebVersion, DEFAULT_WEB_VERSION, handleWebVersionRequest, listenForWebVersions } from './web-versions.js';

export interface EmulatorOptions {
  /** 0 (the default) takes any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** How often an unpaired page's QR ref changes (WhatsApp's is about 20 s). */
  qrRefreshMs?: number;
  /** The gap before each of acks 1, 2 and 3 of a sent message. */
  ackDelayMs?: number;
  /** How long a page may take to confirm what it is told. */
  pageTimeoutMs?: number;
  /** The largest media accepted, sent or delivered (default 100 MiB; all media is kept in memory). */
  maxMediaBytes?: number;
  /** The WhatsApp Web version the page runs and reports (`client.getWWebVersion()`); default whatsapp-web.js 1.34.7's. */
  webVersion?: string;
  /** Serve the HTTP control API under /__emulator/control (the CLI turns it on). */
  controlApi?: boolean;
  log?: (line: string) => void;
}

export interface Emulator {
  /** https://127.0.0.1:<port> */
  readonly origin: string;
  /** Everything Chromium needs to reach this emulator as web.whatsapp.com. */
  readonly chromiumArgs: string[];
  /** base64 SHA-256 of the certificate's public key (for `curl --pinnedpubkey sha256//<this>`). */
  readonly spkiSha256: string;
  /** The WhatsApp Web version served at `/`. */
  readonly webVersion: string;
  /**
   * `http://127.0.0.1:<port>/__emulator/web-versions/{version}.html`, for whatsapp-web.js's
   * `webVersionCache: { type: 'remote', remotePath }`: every well-formed version's index page, over plain HTTP.
   */
  readonly webVersionRemotePath: string;
  /** Pairs the client showing this QR (the one it shows now: a refreshed-away QR is refused). */
  scan(qr: string, account?: AccountRequest): Promise<{ wid: string }>;
  /** Pairs the client that got this code from `requestPairingCode(phone)`, as that phone's account. */
  enterPairingCode(code: string, account?: { pushname?: string }): Promise<{ wid: string }>;
  /**
   * Resolves once every online client paired as `to` has the message; rejects if none is online. With
   * `media` it is a media message (`body` its caption); its bytes are downloaded from the emulator. With
   * `quotedId` (a message of the chat with `from` the emulator delivered or carried) it is a reply to it;
   * a media message can be one too.
   */
  deliver(to: string, message: Delivery): Promise<{ id: string }>;
  /** The other person (`from`, default the other side of the chat) reacts to message `id`; emoji '' takes it back. */
  react(to: string, reaction: ReactionRequest): Promise<void>;
  /** The other person deletes message `id`, which they sent to `to`, for everyone. */
  revoke(to: string, message: { id: string }): Promise<void>;
  /** Reactions the clients made, in order. */
  reactions(): Reaction[];
  /** Messages the clients deleted for everyone. */
  revoked(): Revoke[];
  /** Chats the clients marked read. */
  seen(): Seen[];
  sent(): SentRecord[];
  /** The bytes a client uploaded for a media message it sent (by its serialized id); undefined for text. */
  sentMedia(id: string): Buffer | undefined;
  /** The phone no longer has the media of message `id` (delivered to or sent by `wid`): downloads get nothing. */
  expireMedia(wid: string, id: string): void;
  waitForSent(predicate: (record: SentRecord) => boolean, timeoutMs?: number): Promise<SentRecord>;
  /** The connection of every client paired as `wid` drops, and comes back after `forMs` (default 1000). */
  dropConnection(wid: string, forMs?: number): Promise<void>;
  /** "Log out" on the phone: resolves once the pages have cleared their pairing (they then reload). */
  logout(wid: string): Promise<void>;
  setBehavior(behavior: Partial<Behavior>): void;
  clients(): ClientView[];
  waitForClient(predicate: (client: ClientView) => boolean, timeoutMs?: number): Promise<ClientView>;
  /** Modules whatsapp-web.js asked for that the emulated page lacks (it got `undefined`). */
  unimplementedModules(): string[];
  /** Every time a paired device came online from a second page while still online in a first. */
  overlaps(): Overlap[];
  waitForOverlap(predicate?: (overlap: Overlap) => boolean, timeoutMs?: number): Promise<Overlap>;
  status(): EmulatorStatus;
  close(): Promise<void>;
}

const DEFAULTS = { port: 0, host: '127.0.0.1', qrRefreshMs: 20_000, ackDelayMs: 250, pageTimeoutMs: 10_000, dropMs: 1000, waitMs: 10_000 };

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? DEFAULTS.host;
  const log = options.log ?? (() => undefined);
  const certificate = createCertificate([WHATSAPP_WEB_HOST, 'localhost'], host.includes(':') ? [] : ['127.0.0.1']);
  const emulation = new Emulation({
    qrRefreshMs: options.qrRefreshMs ?? DEFAULTS.qrRefreshMs,
    ackDelayMs: options.ackDelayMs ?? DEFAULTS.ackDelayMs,
    pageTimeoutMs: options.pageTimeoutMs ?? DEFAULTS.pageTimeoutMs,
    maxMediaBytes: options.maxMediaBytes ?? DEFAULT_MAX_MEDIA_BYTES,
    webVersion: checkWebVersion(options.webVersion ?? DEFAULT_WEB_VERSION),
    log,
  });
  const controlApi = options.controlApi ?? false;

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://localhost');
    if (await handleMediaRequest(emulation, request, response, url, controlApi)) return;
    if (await handlePageRequest(emulation, request, response, url)) return;
    if (handleWebVersionRequest(request, response, url)) return;
    if (controlApi && (await handleControlRequest(emulation, request, response, url))) return;
    sendJson(response, 404, { error: { code: 'WAE_NOT_FOUND', message: `nothing at ${url.pathname}` } });
  };
  const listening = await listen(certificate, host, options.port ?? DEFAULTS.port, (request, response) => {
    route(request, response).catch((error: unknown) => sendError(response, error));
  });
  const archive = await listenForWebVersions(host).catch(async (error: unknown) => {
    await listening.close();
    throw error;
  });
  const origin = `https://${host.includes(':') ? `[${host}]` : host}:${listening.port}`;
  log(`WhatsApp Web emulator on ${origin}`);

  return {
    origin,
    chromiumArgs: chromiumArgs(host, listening.port, certificate.spkiSha256),
    spkiSha256: certificate.spkiSha256,
    webVersion: emulation.webVersion,
    webVersionRemotePath: archive.remotePath,
    scan: (qr, account) => emulation.scan(qr, account),
    enterPairingCode: (code, account) => emulation.enterPairingCode(code, account),
    deliver: (to, message) => emulation.deliver(to, message),
    react: (to, reaction) => emulation.react(to, reaction),
    revoke: (to, { id }) => emulation.revoke(to, id),
    reactions: () => emulation.social.reactions.all(),
    revoked: () => emulation.social.revokes.all(),
    seen: () => emulation.social.seen.all(),
    sent: () => emulation.sentLog.all(),
    sentMedia: (id) => emulation.sentMedia(id),
    expireMedia: (wid, id) => emulation.expireMedia(wid, id),
    waitForSent: (predicate, timeoutMs = DEFAULTS.waitMs) => emulation.sentLog.waitFor(predicate, timeoutMs),
    dropConnection: (wid, forMs = DEFAULTS.dropMs) => emulation.dropConnection(wid, forMs),
    logout: (wid) => emulation.logout(wid),
    setBehavior: (behavior) => emulation.setBehavior(behavior),
    clients: () => emulation.clients.views(),
    waitForClient: (predicate, timeoutMs = DEFAULTS.waitMs) => emulation.waitForClient(predicate, timeoutMs),
    unimplementedModules: () => emulation.unimplementedModules(),
    overlaps: () => emulation.overlaps.all(),
    waitForOverlap: (predicate = () => true, timeoutMs = DEFAULTS.waitMs) => emulation.overlaps.waitFor(predicate, timeoutMs),
    status: () => emulation.status(),
    close: async () => {
      emulation.close();
      await Promise.all([listening.close(), archive.close()]);
    },
  };
}
