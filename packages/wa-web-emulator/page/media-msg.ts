/**
 * Media on messages, the page's half. A media message is a `MediaMsgModel`: a message with a `mediaData`
 * and a `downloadMedia()`, which whatsapp-web.js's `Message.downloadMedia()` calls until the stage is
 * RESOLVED before it downloads the bytes itself (WAWebDownloadManager). Delivered media starts at INIT and
 * is fetched from the server on demand; sent media is RESOLVED at once (the page had the bytes).
 */
import { MediaData } from './media-data.js';
import { downloadMedia, MediaTransferError } from './media-transfer.js';
import type { Attributes } from './model.js';
import { OpaqueData } from './opaque-data.js';
import type { InboundMedia, SentMediaReport } from './protocol.js';
import { randomBytes, toBase64 } from './random.js';
import { MsgModel } from './stores.js';

/** Where WhatsApp's media servers would serve a path: whatsapp-web.js copies it into `clientUrl`. */
export const mediaUrlOf = (directPath: string): string => `https://mmg.whatsapp.net${directPath}`;

/** A media key as WhatsApp's (32 random bytes); nothing is encrypted with it here. */
export const newMediaKey = (): string => toBase64(randomBytes(32));

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export class MediaMsgModel extends MsgModel {
  readonly #mediaData: MediaData;

  constructor(attributes: Attributes) {
    super(attributes);
    const fromMe = (attributes['id'] as { fromMe?: boolean } | undefined)?.fromMe === true;
    this.#mediaData = new MediaData({
      type: attributes['type'],
      mimetype: attributes['mimetype'],
      size: attributes['size'],
      filehash: attributes['filehash'],
      directPath: attributes['directPath'],
      mediaStage: fromMe ? 'RESOLVED' : 'INIT',
    });
  }

  get mediaData(): MediaData {
    return this.#mediaData;
  }

  /** WhatsApp Web's "fetch this media": RESOLVED with the bytes, or ERROR_MISSING when the server has none. */
  async downloadMedia(_options?: unknown): Promise<void> {
    const data = this.#mediaData;
    if (data.get('mediaStage') === 'RESOLVED') return;
    data.set({ mediaStage: 'FETCHING' });
    try {
      const bytes = await downloadMedia(String(this.get('directPath')));
      const blob = new Blob([bytes], { type: String(this.get('mimetype') ?? '') });
      data.set({ mediaBlob: await OpaqueData.createFromData(blob), mediaStage: 'RESOLVED' });
    } catch (error) {
      data.set({ mediaStage: error instanceof MediaTransferError && error.status === 404 ? 'ERROR_MISSING' : 'ERROR_UNKNOWN' });
    }
  }
}

/** A message model of the right class: with a `directPath` it carries media. */
export function newMsgModel(attributes: Attributes): MsgModel {
  return typeof attributes['directPath'] === 'string' ? new MediaMsgModel(attributes) : new MsgModel(attributes);
}

/** The attributes WhatsApp Web gives a received media message (none for text). */
export function inboundMediaAttributes(media: InboundMedia | undefined): Attributes {
  if (media === undefined) return {};
  return {
    type: media.type,
    mimetype: media.mimetype,
    size: media.size,
    ...(media.filename === null ? {} : { filename: media.filename }),
    ...(media.caption === null ? {} : { caption: media.caption }),
    directPath: media.directPath,
    clientUrl: mediaUrlOf(media.directPath),
    deprecatedMms3Url: mediaUrlOf(media.directPath),
    filehash: media.filehash,
    encFilehash: media.filehash,
    mediaKey: newMediaKey(),
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    isViewOnce: false,
  };
}

/** What the server records of a media message the page sends (undefined for text). */
export function sentMediaReport(attributes: Attributes): SentMediaReport | undefined {
  const directPath = text(attributes['directPath']);
  if (directPath === null) return undefined;
  return {
    type: String(attributes['type']),
    caption: text(attributes['caption']),
    mimetype: text(attributes['mimetype']),
    filename: text(attributes['filename']),
    directPath,
  };
}
