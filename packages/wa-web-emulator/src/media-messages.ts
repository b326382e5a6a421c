/**
 * Media on messages, the server's half: what the control side delivers (bytes in, stored, announced to the
 * page by path) and what the sent records say of media the pages sent (from the bytes they uploaded).
 */
import type { InboundMedia, MediaType, SentMediaReport } from '../page/protocol.js';
import { errors } from './errors.js';
import type { MediaStore, StoredMedia } from './media-store.js';

export interface MediaDelivery {
  /** The bytes, or them in base64. */
  data: Buffer | string;
  mimetype: string;
  filename?: string;
  /** An audio message recorded as a voice note (whatsapp-web.js type `ptt`) rather than an audio file. */
  ptt?: boolean;
}

export interface Delivery {
  from: string;
  /** The text, or the caption of `media` (then optional). */
  body?: string;
  media?: MediaDelivery;
  /** The serialized key of a message of the chat with `from` the emulator carried: this one replies to it. */
  quotedId?: string;
}

/** What a sent record says of a message's media; all null for text. */
export interface SentMediaFields {
  /** whatsapp-web.js's type name: chat, image, video, audio, ptt, document, sticker. */
  type: string;
  caption: string | null;
  mimetype: string | null;
  filename: string | null;
  size: number | null;
  /** Hex SHA-256 of the uploaded bytes; `sentMedia(id)` gives the bytes. */
  sha256: string | null;
}

const TEXT: SentMediaFields = { type: 'chat', caption: null, mimetype: null, filename: null, size: null, sha256: null };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** As WhatsApp's phone app files media by its mimetype: anything not image, video or audio is a document. */
export function inboundTypeOf(mimetype: string, ptt: boolean): MediaType {
  const [major] = mimetype.split('/');
  if (major === 'audio') return ptt ? 'ptt' : 'audio';
  if (major === 'image' || major === 'video') return major;
  return 'document';
}

function bytesOf(data: Buffer | string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  const compact = data.replace(/\s/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw errors.badRequest('"media.data" must be base64');
  return Buffer.from(compact, 'base64');
}

/** Stores a delivery's bytes and describes them for the page. */
export function storeDelivered(store: MediaStore, media: MediaDelivery, caption: string | null): { stored: StoredMedia; inbound: InboundMedia } {
  if (!/^[\w.+-]+\/[\w.+-]+/.test(media.mimetype)) throw errors.badRequest(`"${media.mimetype}" is not a mimetype`);
  const stored = store.put(bytesOf(media.data), media.mimetype);
  const inbound: InboundMedia = {
    type: inboundTypeOf(media.mimetype, media.ptt ?? false),
    mimetype: media.mimetype,
    filename: media.filename ?? null,
    size: stored.bytes.length,
    filehash: stored.filehash,
    directPath: stored.directPath,
    caption,
  };
  return { stored, inbound };
}

/** A sent record's media fields from the page's report and the bytes it uploaded before sending. */
export function sentMediaOf(store: MediaStore, report: SentMediaReport | undefined): { fields: SentMediaFields; stored: StoredMedia | undefined } {
  if (report === undefined) return { fields: TEXT, stored: undefined };
  const stored = store.get(report.directPath);
  if (stored === undefined) throw errors.mediaNotFound(report.directPath);
  return {
    fields: {
      type: report.type,
      caption: report.caption,
      mimetype: report.mimetype ?? stored.mimetype,
      filename: report.filename,
      size: stored.bytes.length,
      sha256: stored.sha256,
    },
    stored,
  };
}
