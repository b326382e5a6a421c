/**
 * WhatsApp Web's `WAWebPrepRawMedia.prepRawMedia(opaqueData, params).waitForPrep()`: decides what kind of
 * message some media becomes, probes it, hashes it and registers its bytes for the upload. The rules:
 *
 *   asDocument                              → document (never probed: any bytes go)
 *   image/jpeg|png|webp|gif                 → image, or sticker with asSticker (decoded first)
 *   other image/* and anything not a/v      → document
 *   video/*                                 → video (isGif with asGif); a first frame must decode
 *   audio/*                                 → ptt with isPtt, else audio; the metadata must load
 *
 * A probe that fails rejects `waitForPrep()` (see media-probe.ts), so whatsapp-web.js's `sendMessage` rejects.
 */
import { MediaData, getOrCreateMediaObject } from './media-data.js';
import { probeImage, probePlayable } from './media-probe.js';
import type { MediaType } from './protocol.js';
import { OpaqueData } from './opaque-data.js';
import { toBase64 } from './random.js';

export interface PrepParams {
  asSticker?: boolean;
  asGif?: boolean;
  isPtt?: boolean;
  asDocument?: boolean;
  maxDimension?: number;
}

const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

export function typeFor(mimetype: string, params: PrepParams): MediaType {
  if (params.asDocument === true) return 'document';
  const [major] = mimetype.split('/');
  const bare = mimetype.split(';')[0]?.trim().toLowerCase() ?? '';
  if (major === 'image') return !PHOTO_TYPES.has(bare) ? 'document' : params.asSticker === true ? 'sticker' : 'image';
  if (major === 'video') return 'video';
  if (major === 'audio') return params.isPtt === true ? 'ptt' : 'audio';
  return 'document';
}

export async function filehashOf(blob: Blob): Promise<string> {
  return toBase64(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
}

async function prepare(opaque: OpaqueData, params: PrepParams, filename: string | null): Promise<MediaData> {
  const blob = opaque.blob();
  const type = typeFor(blob.type, params);
  const attributes: Record<string, unknown> = { type, mimetype: blob.type, size: blob.size, mediaBlob: opaque, mediaStage: 'PREPARING', isGif: false };
  if (type === 'document') attributes['filename'] = filename;
  if (type === 'image' || type === 'sticker') Object.assign(attributes, await probeImage(blob));
  if (type === 'video') Object.assign(attributes, await probePlayable(blob, 'video'), { isGif: params.asGif === true });
  if (type === 'audio' || type === 'ptt') {
    const { duration } = await probePlayable(blob, 'audio');
    attributes['duration'] = duration;
  }
  const filehash = await filehashOf(blob);
  attributes['filehash'] = filehash;
  // the upload finds the bytes by filehash, as WhatsApp Web's media storage keeps them
  getOrCreateMediaObject(filehash).mediaBlob = opaque;
  return new MediaData(attributes);
}

export function prepRawMedia(opaque: OpaqueData, params: PrepParams = {}): { waitForPrep(): Promise<MediaData> } {
  const filename = opaque.name;
  const prepared = prepare(opaque, params, filename);
  // a prep nobody waits for must not surface as an unhandled rejection
  prepared.catch(() => undefined);
  return { waitForPrep: () => prepared };
}
