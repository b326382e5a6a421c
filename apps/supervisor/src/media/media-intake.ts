/**
 * Media on its way in: base64 text, a URL or an upload stream becomes a SpooledMedia, a file under the spool
 * directory with its size, sha256, a checked mimetype and a file name. Every refusal is a coded 4xx, and no
 * refusal leaves a file behind.
 *
 *   mimetype: the one given, else the answer's or the upload part's content-type (unless it says nothing, like
 *             application/octet-stream), else the file name's extension; then checked against the bytes
 *             (mime-sniff.ts); with none of these, the sniffed one, else application/octet-stream
 *   filename: the one given, else the upload part's, else the URL path's last segment; a document without one
 *             is called file.<ext>
 */
import { Readable } from 'node:stream';
import type { Config } from '../config.js';
import { Errors } from '../errors.js';
import { isBlockedAddress } from '../net/address-guard.js';
import { openMediaUrl, mediaUrl } from './media-fetch.js';
import { decideMimetype, sniff } from './mime-sniff.js';
import { extensionOf, familyOf, mimetypeOfFilename, UNINFORMATIVE, essence } from './mime-types.js';
import { base64Chunks, decodedSize, parseBase64Data } from './base64-data.js';
import { removeSpoolFile, spool, type SpoolFile } from './spool.js';
import type { SpooledMedia } from './spooled-media.js';

export interface MediaIntakeOptions {
  /** Created on demand. */
  spoolDir: string;
  /** MEDIA_MAX_BYTES. */
  maxBytes: number;
  /** MEDIA_FETCH_TIMEOUT_MS. */
  fetchTimeoutMs: number;
  /** Redirects a URL fetch follows; 5 by default. */
  maxRedirects?: number;
  /** The address guard's policy for URL fetches (isBlockedAddress when BLOCK_PRIVATE_ADDRESSES is on), or undefined. */
  isBlocked?: (address: string) => boolean;
}

/** What the request says about the media besides its bytes. */
export interface MediaWanted {
  mimetype?: string | undefined;
  filename?: string | undefined;
  asDocument: boolean;
  asVoice: boolean;
  asSticker: boolean;
}

/** What the source itself says: a response's or an upload part's content-type and name. */
export interface SourceHints {
  contentType?: string | undefined;
  filename?: string | undefined;
}

/** A file name as it may be sent: its last path segment, no control characters, at most 255 characters. */
export function cleanFilename(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(-255);
  return clean === '' || clean === '.' || clean === '..' ? undefined : clean;
}

/** The last segment of a URL's path, decoded, if it has one. */
function lastSegment(url: URL): string | undefined {
  const segment = url.pathname.split('/').pop() ?? '';
  try {
    return cleanFilename(decodeURIComponent(segment));
  } catch {
    return cleanFilename(segment);
  }
}

export class MediaIntake {
  readonly #options: Required<Omit<MediaIntakeOptions, 'isBlocked'>> & Pick<MediaIntakeOptions, 'isBlocked'>;

  constructor(options: MediaIntakeOptions) {
    this.#options = { maxRedirects: 5, ...options };
  }

  get maxBytes(): number {
    return this.#options.maxBytes;
  }

  /** `media.data` (base64, or a base64 `data:` URL): 400 WSM_MEDIA_INVALID_BASE64, 413 before writing anything. */
  async fromBase64(data: string, wanted: MediaWanted): Promise<SpooledMedia> {
    const { base64, mimetype } = parseBase64Data(data);
    if (decodedSize(base64) > this.#options.maxBytes) throw new Errors.MEDIA_TOO_LARGE(this.#options.maxBytes);
    const file = await this.spool(Readable.from(base64Chunks(base64)));
    return this.accept(file, { contentType: mimetype }, wanted);
  }

  /** Fetches `url` (see media-fetch.ts); `signal` cancels the fetch. */
  async fromUrl(url: string, wanted: MediaWanted, signal?: AbortSignal): Promise<SpooledMedia> {
    const target = mediaUrl(url);
    const { maxBytes, fetchTimeoutMs: timeoutMs, maxRedirects, isBlocked } = this.#options;
    const fetched = await openMediaUrl(target, { maxBytes, timeoutMs, maxRedirects, isBlocked }, signal);
    const file = await this.spool(fetched.body);
    return this.accept(file, { contentType: fetched.contentType, filename: lastSegment(target) }, wanted);
  }

  /** Writes bytes to a new spool file, capped at MEDIA_MAX_BYTES (the file is gone again if this fails). */
  spool(source: AsyncIterable<Uint8Array>): Promise<SpoolFile> {
    return spool(source, { dir: this.#options.spoolDir, maxBytes: this.#options.maxBytes });
  }

  /**
   * A spooled file checked and named (the rules atop this file): the SpooledMedia, or a coded refusal after
   * which the file is removed.
   */
  async accept(file: SpoolFile, hints: SourceHints, wanted: MediaWanted): Promise<SpooledMedia> {
    try {
      return decide(file, hints, wanted);
    } catch (error) {
      await removeSpoolFile(file.path);
      throw error;
    }
  }

  /** Removes a spool file made here (one moved on already is fine). */
  discard(media: Pick<SpooledMedia, 'path'>): Promise<void> {
    return removeSpoolFile(media.path);
  }
}

function decide(file: SpoolFile, hints: SourceHints, wanted: MediaWanted): SpooledMedia {
  if (file.size === 0) throw new Errors.MEDIA_EMPTY();
  const filename = cleanFilename(wanted.filename) ?? cleanFilename(hints.filename);
  const derived = hints.contentType === undefined || UNINFORMATIVE.has(essence(hints.contentType)) ? undefined : hints.contentType;
  const declared = wanted.mimetype ?? derived ?? (filename === undefined ? undefined : mimetypeOfFilename(filename));
  const answer = decideMimetype({ declared, sniffed: sniff(file.head), asDocument: wanted.asDocument });
  if (!answer.ok) throw new Errors.MEDIA_TYPE_MISMATCH(answer.declared, answer.actual);
  const family = wanted.asDocument ? 'document' : familyOf(answer.mimetype);
  if (wanted.asVoice && family !== 'audio') {
    throw new Errors.VALIDATION_FAILED(`body.asVoice needs audio media, and this media is ${essence(answer.mimetype)}`);
  }
  if (wanted.asSticker && family !== 'image') {
    throw new Errors.VALIDATION_FAILED(`body.asSticker needs an image, and this media is ${essence(answer.mimetype)}`);
  }
  return {
    path: file.path,
    size: file.size,
    sha256: file.sha256,
    mimetype: answer.mimetype,
    filename: filename ?? (family === 'document' ? `file.${extensionOf(answer.mimetype)}` : null),
  };
}

/** The intake as the configuration sets it up: the address guard applies to URLs when BLOCK_PRIVATE_ADDRESSES is on. */
export function mediaIntakeOf(config: Pick<Config, 'media' | 'blockPrivateAddresses'>): MediaIntake {
  return new MediaIntake({
    spoolDir: config.media.spoolDir,
    maxBytes: config.media.maxBytes,
    fetchTimeoutMs: config.media.fetchTimeoutMs,
    ...(config.blockPrivateAddresses ? { isBlocked: isBlockedAddress } : {}),
  });
}
