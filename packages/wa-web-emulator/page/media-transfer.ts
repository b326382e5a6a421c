/**
 * Media bytes to and from the emulator's server, which stands in for WhatsApp's media servers: uploads
 * are plain (WhatsApp encrypts them; nothing here needs that), downloads are by `directPath`.
 */
import type { MediaUploadReply } from './protocol.js';

// served from the page prefix like bridge.ts, so the media routes under it are found the same way
const MEDIA_PREFIX = `${new URL('.', import.meta.url).pathname.replace(/\/$/, '')}/media`;

/** A failed transfer; `status` is the HTTP status, which whatsapp-web.js reads (404: the media is gone). */
export class MediaTransferError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'MediaTransferError';
    this.status = status;
  }
}

export async function uploadMedia(blob: Blob, signal?: AbortSignal): Promise<MediaUploadReply> {
  const response = await fetch(`${MEDIA_PREFIX}/upload`, {
    method: 'POST',
    headers: { 'content-type': blob.type === '' ? 'application/octet-stream' : blob.type },
    body: blob,
    ...(signal === undefined ? {} : { signal }),
  });
  if (!response.ok) throw new MediaTransferError(`upload failed: ${await reasonOf(response)}`, response.status);
  return (await response.json()) as MediaUploadReply;
}

export async function downloadMedia(directPath: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  const response = await fetch(`${MEDIA_PREFIX}${directPath}`, signal === undefined ? {} : { signal });
  if (!response.ok) throw new MediaTransferError(`download failed: ${await reasonOf(response)}`, response.status);
  return response.arrayBuffer();
}

async function reasonOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return `${body.error?.code ?? response.status} ${body.error?.message ?? response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}
