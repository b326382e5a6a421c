/**
 * What an Idempotency-Key is bound to (OutgoingMessage.requestHash): the same key with a different hash is a
 * different message, refused. A text hashes as it always did, [to, text], so keys recorded before replies
 * existed still match; a reply adds its replyTo.
 */
import { createHash } from 'node:crypto';

const sha256 = (parts: readonly unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export interface MediaHashOptions {
  caption?: string | undefined;
  asDocument: boolean;
  asVoice: boolean;
  asSticker: boolean;
}

const options = (o: MediaHashOptions): unknown[] => [o.caption ?? null, o.asDocument, o.asVoice, o.asSticker];

export function textHash(to: string, text: string, replyTo: string | undefined): string {
  return sha256(replyTo === undefined ? [to, text] : [to, text, replyTo]);
}

/** A URL's media: the URL as written and what was declared about it (its bytes are not fetched yet). */
export function urlHash(
  to: string,
  replyTo: string | undefined,
  media: { url: string; mimetype: string | undefined; filename: string | undefined },
  o: MediaHashOptions,
): string {
  return sha256(['url', to, replyTo ?? null, media.url, media.mimetype ?? null, media.filename ?? null, ...options(o)]);
}

/** Spooled bytes (base64, upload): their sha256 and what they are sent as, however they came. */
export function bytesHash(
  to: string,
  replyTo: string | undefined,
  media: { sha256: string; mimetype: string; filename: string | null },
  o: MediaHashOptions,
): string {
  return sha256(['bytes', to, replyTo ?? null, media.sha256, media.mimetype, media.filename, ...options(o)]);
}
