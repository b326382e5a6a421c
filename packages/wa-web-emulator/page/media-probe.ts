/**
 * Probing media the way WhatsApp Web does before sending it: images are decoded, audio and video are loaded
 * into a media element until a first frame (video) or the metadata (audio) is there. What this Chromium
 * cannot play fails here, as on WhatsApp Web: HEVC video, QuickTime, AMR audio. Every failure is a
 * `MediaProbeError` whose message starts with "media probe failed", so a rejected send names its cause.
 */
const PROBE_TIMEOUT_MS = 15_000;

export class MediaProbeError extends Error {
  constructor(mimetype: string, reason: string) {
    super(`media probe failed: ${mimetype} ${reason}`);
    this.name = 'MediaProbeError';
  }
}

export interface ImageInfo {
  width: number;
  height: number;
}

export interface PlayableInfo {
  /** Seconds, rounded as WhatsApp sends them. */
  duration: number;
  width: number;
  height: number;
}

export async function probeImage(blob: Blob): Promise<ImageInfo> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (error) {
    throw new MediaProbeError(blob.type, `could not be decoded as an image (${messageOf(error)})`);
  }
  const info = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return info;
}

const MEDIA_ERRORS: Record<number, string> = {
  1: 'MEDIA_ERR_ABORTED',
  2: 'MEDIA_ERR_NETWORK',
  3: 'MEDIA_ERR_DECODE',
  4: 'MEDIA_ERR_SRC_NOT_SUPPORTED',
};

/**
 * Loads `blob` into a `<video>` or `<audio>`. A video must decode a first frame (`loadeddata`) with a
 * picture: Chromium drops a track it has no decoder for and may play the rest, so an HEVC video with an AAC
 * soundtrack "loads" as sound only. A mimetype Chromium says it cannot play is refused before loading, as
 * WhatsApp Web refuses it: Chromium would otherwise sniff a QuickTime file and play it anyway.
 */
export async function probePlayable(blob: Blob, kind: 'video' | 'audio'): Promise<PlayableInfo> {
  const element = document.createElement(kind);
  if (element.canPlayType(blob.type) === '') throw new MediaProbeError(blob.type, `is not a ${kind} format this browser plays`);
  const url = URL.createObjectURL(blob);
  try {
    element.muted = true;
    element.preload = 'auto';
    const ready = kind === 'video' ? 'loadeddata' : 'loadedmetadata';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new MediaProbeError(blob.type, `did not load within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      element.addEventListener(ready, () => {
        clearTimeout(timer);
        resolve();
      });
      element.addEventListener('error', () => {
        clearTimeout(timer);
        const code = element.error?.code ?? 0;
        const detail = [MEDIA_ERRORS[code], element.error?.message].filter(Boolean).join(': ');
        reject(new MediaProbeError(blob.type, `could not be played (${detail || 'unknown error'})`));
      });
      element.src = url;
    });
    const width = element instanceof HTMLVideoElement ? element.videoWidth : 0;
    const height = element instanceof HTMLVideoElement ? element.videoHeight : 0;
    if (kind === 'video' && (width === 0 || height === 0)) throw new MediaProbeError(blob.type, 'has no video track this browser can decode');
    return { duration: Number.isFinite(element.duration) ? Math.round(element.duration) : 0, width, height };
  } finally {
    element.removeAttribute('src');
    element.load();
    URL.revokeObjectURL(url);
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
