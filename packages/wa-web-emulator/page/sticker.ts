/**
 * WhatsApp Web's `WAWebImageUtils.toWebpSticker`: an image made into a sticker, a 512×512 WebP with the
 * picture fitted inside and the rest transparent. whatsapp-web.js calls it for `sendMediaAsSticker` with
 * any image that is not already WebP. An image that does not decode fails here (see media-probe.ts).
 */
import { MediaProbeError } from './media-probe.js';

const STICKER_SIZE = 512;

export async function toWebpSticker(file: Blob): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (error) {
    throw new MediaProbeError(file.type, `could not be decoded as an image (${error instanceof Error ? error.message : String(error)})`);
  }
  const scale = Math.min(STICKER_SIZE / bitmap.width, STICKER_SIZE / bitmap.height);
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = new OffscreenCanvas(STICKER_SIZE, STICKER_SIZE);
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('toWebpSticker: no 2d canvas');
  context.drawImage(bitmap, (STICKER_SIZE - width) / 2, (STICKER_SIZE - height) / 2, width, height);
  bitmap.close();
  const webp = await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
  // a browser without a WebP encoder falls back to PNG silently; a "sticker" in PNG would be a lie
  if (webp.type !== 'image/webp') throw new Error(`toWebpSticker: this browser encoded ${webp.type}, not image/webp`);
  return webp;
}
