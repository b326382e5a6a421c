/**
 * WhatsApp Web's media records. `MediaData` is a message's media as a model: what preparation found (type,
 * mimetype, size, filehash, dimensions), where it is (`directPath`) and how far it got (`mediaStage`:
 * PREPARING, INIT, FETCHING, RESOLVED, ERROR_*). whatsapp-web.js spreads it and its `toJSON()` into the
 * message it sends, so `toJSON()` leaves out the blob. `MediaObject` is the per-filehash entry of
 * `WAWebMediaStorage` the upload reads the bytes from.
 */
import { Model, type Attributes } from './model.js';
import { OpaqueData } from './opaque-data.js';

export class MediaData extends Model {
  toJSON(): Attributes {
    const { mediaBlob: _blob, ...rest } = this.serialize();
    return rest;
  }
}

export class MediaObject {
  readonly filehash: string;
  type: string | undefined;
  size: number | undefined;
  mimetype: string | undefined;
  mediaBlob: OpaqueData | undefined;
  /** whatsapp-web.js reuses a voice note's waveform from here, or computes one itself. */
  readonly contentInfo: { waveform?: Uint8Array } = {};

  constructor(filehash: string) {
    this.filehash = filehash;
  }

  /** Takes what preparation learned; whatsapp-web.js passes `mediaData.toJSON()`. */
  consolidate(data: Attributes): void {
    if (typeof data['type'] === 'string') this.type = data['type'];
    if (typeof data['size'] === 'number') this.size = data['size'];
    if (typeof data['mimetype'] === 'string') this.mimetype = data['mimetype'];
  }
}

const objects = new Map<string, MediaObject>();

export function getOrCreateMediaObject(filehash: string): MediaObject {
  let object = objects.get(filehash);
  if (object === undefined) {
    object = new MediaObject(filehash);
    objects.set(filehash, object);
  }
  return object;
}
