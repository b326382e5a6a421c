/**
 * The wire between the emulated page and the emulator's server, one definition for both sides (the server
 * imports these types; this file uses no DOM so the Node build can read it).
 *
 *   page ──POST /__emulator/page/<op>──▶ server      what the page reports (hello, state, acks, sent messages)
 *   page ◀──SSE /__emulator/page/events── server     what the "phone" and "WhatsApp servers" do (PageCommand)
 *
 * Every pushed command carries a `seq`; the page answers `ack` once it has carried the command out, so the
 * server's control calls (scan, deliver, drop, logout) resolve when the page has really changed.
 *
 *   page ──POST /__emulator/page/media/upload──▶ server    the bytes of media it sends (MediaUploadReply back)
 *   page ──GET  /__emulator/page/media<directPath>── server  the bytes of media it downloads (404: gone)
 *
 * Types only: the Node side imports them type-only, so nothing here exists at run time there.
 */
import type { QuotedInfo, SocialCommand, SocialPageOps } from './social-protocol.js';

/** The linked account as the page knows it. */
export interface Account {
  wid: string;
  phone: string;
  pushname: string;
}

/** The public halves a companion device puts in its QR after the ref (`ref,static,identity,adv,platform`). */
export interface DeviceKeys {
  staticKey: string;
  identityKey: string;
  advSecret: string;
  platform: string;
}

/** What the page keeps in IndexedDB between runs: the server-issued device token and its account. */
export interface StoredPairing {
  token: string;
  account: Account;
}

export interface HelloRequest {
  /** Set when an existing page reconnects after a dropped connection. */
  clientId: string | null;
  token: string | null;
  keys: DeviceKeys;
}

export type HelloReply =
  | { clientId: string; status: 'unpaired'; ref: string }
  | { clientId: string; status: 'connected'; account: Account; withholdReady: boolean };

export interface StateReport {
  clientId: string;
  state: string;
}

export interface AckReport {
  clientId: string;
  seq: number;
  error: string | null;
}

export interface PairingCodeRequest {
  clientId: string;
  phone: string;
}

export interface PairingCodeReply {
  code: string;
}

export interface SentReport {
  clientId: string;
  id: string;
  to: string;
  body: string;
  timestamp: number;
  /** The serialized key of the message this one replies to. */
  quotedId?: string;
  /** Set for a media message: its bytes are already on the server, uploaded under `directPath`. */
  media?: SentMediaReport | undefined;
}

/** A media message's kind, in whatsapp-web.js's type names. */
export type MediaType = 'image' | 'video' | 'audio' | 'ptt' | 'document' | 'sticker';

export interface SentMediaReport {
  type: string;
  caption: string | null;
  mimetype: string | null;
  filename: string | null;
  directPath: string;
}

/** The server's answer to an upload: where the bytes now are, and WhatsApp's base64 SHA-256 of them. */
export interface MediaUploadReply {
  directPath: string;
  size: number;
  filehash: string;
}

/** A delivered message's media: the page fetches the bytes from `directPath` when whatsapp-web.js downloads. */
export interface InboundMedia {
  type: MediaType;
  mimetype: string;
  filename: string | null;
  size: number;
  filehash: string;
  directPath: string;
  caption: string | null;
}

export interface ClientOnly {
  clientId: string;
}

export interface MissingModuleReport {
  name: string;
}

/** Page → server operations and their bodies. */
export interface PageOps extends SocialPageOps {
  hello: HelloRequest;
  state: StateReport;
  ack: AckReport;
  'pairing-code': PairingCodeRequest;
  'qr-linking': ClientOnly;
  'refresh-qr': ClientOnly;
  sent: SentReport;
  logout: ClientOnly;
  attached: ClientOnly;
  'missing-module': MissingModuleReport;
}

export interface InboundMessage {
  /** The serialized message key, `false_<from>_<id>`. */
  serialized: string;
  id: string;
  from: string;
  to: string;
  body: string;
  timestamp: number;
  media?: InboundMedia | undefined;
  /** Set when the message is a reply. */
  quoted?: QuotedInfo;
}

/** Server → page. */
export type PageCommand =
  | { type: 'ref'; ref: string }
  | { type: 'paired'; token: string; account: Account; withholdReady: boolean }
  | { type: 'message'; message: InboundMessage }
  | { type: 'ack'; serialized: string; ack: number }
  | { type: 'drop'; forMs: number }
  /** The device came online in another page: this one is displaced until it takes over. */
  | { type: 'conflict' }
  | { type: 'logout' }
  | SocialCommand;

export interface PushedCommand {
  seq: number;
  command: PageCommand;
}
