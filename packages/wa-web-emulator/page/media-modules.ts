/**
 * The WhatsApp Web modules whatsapp-web.js 1.34.7 reaches for media: sending (`processMediaData`:
 * OpaqueData → prepRawMedia → media storage → upload; stickers: `toStickerData` → `processStickerData`) and
 * downloading (`Message.downloadMedia`: the model's `downloadMedia`, then `downloadAndMaybeDecrypt`).
 */
import { getOrCreateMediaObject, type MediaObject } from './media-data.js';
import { mediaUrlOf, newMediaKey } from './media-msg.js';
import { prepRawMedia } from './media-prep.js';
import { downloadMedia, uploadMedia } from './media-transfer.js';
import { OpaqueData } from './opaque-data.js';
import { toWebpSticker } from './sticker.js';

interface UploadRequest {
  mimetype: string;
  mediaObject: MediaObject;
  mediaType: string;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** WhatsApp Web's upload: the bytes preparation registered under the media object's filehash go to the server. */
async function upload({ mediaObject }: UploadRequest): Promise<{ mediaEntry: Record<string, unknown> }> {
  const blob = mediaObject.mediaBlob?.blob();
  if (blob === undefined) throw new Error(`upload failed: no prepared media with filehash ${mediaObject.filehash}`);
  const reply = await uploadMedia(blob);
  // the server hashes what it received: a mismatch means the bytes changed on the way
  if (reply.filehash !== mediaObject.filehash) throw new Error(`upload failed: the server got other bytes (filehash ${reply.filehash})`);
  mediaObject.mediaBlob = undefined;
  return {
    mediaEntry: {
      mmsUrl: mediaUrlOf(reply.directPath),
      deprecatedMms3Url: mediaUrlOf(reply.directPath),
      directPath: reply.directPath,
      mediaKey: newMediaKey(),
      mediaKeyTimestamp: nowSeconds(),
      encFilehash: reply.filehash,
      uploadHash: reply.filehash,
      sidecar: undefined,
      firstFrameSidecar: undefined,
      handle: null,
    },
  };
}

/** whatsapp-web.js passes QPL loggers (performance markers) around; nothing reads them here. */
const quietQpl = {
  addAnnotations(): unknown {
    return this;
  },
  addPoint(): unknown {
    return this;
  },
};

export function buildMediaModules(): Record<string, unknown> {
  return {
    // whatsapp-web.js uses the module itself as the class (`createFromData`, `instanceof`)
    WAWebMediaOpaqueData: OpaqueData,
    WAWebPrepRawMedia: { prepRawMedia },
    WAWebMediaStorage: { getOrCreateMediaObject },
    WAWebMmsMediaTypes: {
      msgToMediaType: ({ type, isGif }: { type: string; isGif?: boolean }) => (isGif === true ? 'gif' : type),
      castToV4: (type: string) => type,
    },
    // no in-memory blob cache: whatsapp-web.js then never asks for WAWebMediaInMemoryBlobCache
    WAWebMediaDataUtils: { shouldUseMediaCache: (_type: string) => false },
    WAWebMediaMmsV4Upload: { uploadMedia: upload, uploadUnencryptedMedia: upload },
    WAWebImageUtils: { toWebpSticker },
    WAWebStartMediaUploadQpl: { startMediaUploadQpl: (_options: unknown) => quietQpl },
    WAWebUploadManager: {
      // stickers: whatsapp-web.js spreads the answer into the message, so it carries the mimetype too
      encryptAndUpload: async ({ blob, signal, mediaKey }: { blob: Blob; signal?: AbortSignal; mediaKey: string }) => {
        const reply = await uploadMedia(blob, signal);
        return {
          url: mediaUrlOf(reply.directPath),
          directPath: reply.directPath,
          encFilehash: reply.filehash,
          mediaKey,
          mediaKeyTimestamp: nowSeconds(),
          mimetype: blob.type,
        };
      },
    },
    WAWebDownloadManager: {
      downloadManager: {
        downloadAndMaybeDecrypt: ({ directPath, signal }: { directPath: string; signal?: AbortSignal }) => downloadMedia(directPath, signal),
      },
    },
  };
}
