/**
 * The media bytes the emulator holds, as WhatsApp's media servers would: uploaded by pages (what they send)
 * or put by the control side (what it delivers), each under a `directPath`, all in memory (hence the cap).
 * A message's media is attached to the message's serialized id and its account, so the control side can
 * read what was sent and expire what was delivered. Expired media answers 404 at its path, as the servers
 * do for media past their retention; its bytes stay readable by the control side for assertions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { errors } from './errors.js';

export interface StoredMedia {
  readonly directPath: string;
  readonly bytes: Buffer;
  readonly mimetype: string;
  /** Hex SHA-256 of the bytes (the sent record's `sha256`). */
  readonly sha256: string;
  /** Base64 SHA-256 of the bytes: WhatsApp's `filehash`. */
  readonly filehash: string;
  expired: boolean;
}

export const DEFAULT_MAX_MEDIA_BYTES = 100 * 1024 * 1024;

/** A path shaped like WhatsApp's (`/v/t62.7118-24/...`), unguessable, naming the emulator. */
const newDirectPath = (): string => `/v/emulator/${randomBytes(16).toString('hex')}.enc`;

export class MediaStore {
  readonly maxBytes: number;
  readonly #byPath = new Map<string, StoredMedia>();
  readonly #byMessage = new Map<string, { owner: string; media: StoredMedia }>();

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  put(bytes: Buffer, mimetype: string): StoredMedia {
    if (bytes.length > this.maxBytes) throw errors.mediaTooLarge(this.maxBytes);
    const digest = createHash('sha256').update(bytes).digest();
    const media: StoredMedia = {
      directPath: newDirectPath(),
      bytes,
      mimetype,
      sha256: digest.toString('hex'),
      filehash: digest.toString('base64'),
      expired: false,
    };
    this.#byPath.set(media.directPath, media);
    return media;
  }

  /** What a download of `directPath` gets: the media, or a coded 404 for unknown or expired media. */
  download(directPath: string): StoredMedia {
    const media = this.#byPath.get(directPath);
    if (media === undefined) throw errors.mediaNotFound(directPath);
    if (media.expired) throw errors.mediaExpired(directPath);
    return media;
  }

  /** The media a page uploaded, for the message it then sent; undefined if it never uploaded that path. */
  get(directPath: string): StoredMedia | undefined {
    return this.#byPath.get(directPath);
  }

  attach(messageId: string, owner: string, media: StoredMedia): void {
    this.#byMessage.set(messageId, { owner, media });
  }

  ofMessage(messageId: string): StoredMedia | undefined {
    return this.#byMessage.get(messageId)?.media;
  }

  /** The phone (and the servers) no longer have this message's media: downloads of it answer 404 from now on. */
  expire(owner: string, messageId: string): void {
    const entry = this.#byMessage.get(messageId);
    if (entry === undefined || entry.owner !== owner) throw errors.noMediaMessage(owner, messageId);
    entry.media.expired = true;
  }
}
