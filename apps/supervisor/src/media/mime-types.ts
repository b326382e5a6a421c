/**
 * Media types by name: the family a mimetype belongs to (what WhatsApp sends it as), and the mimetypes of the
 * file extensions a send may name. Only the types people send through WhatsApp; anything else is a document.
 */

/** How WhatsApp shows media: an image, a video, an audio (or voice note), or a document (any file). */
export type MediaFamily = 'image' | 'video' | 'audio' | 'document';

/** Extension (lower case, no dot) → mimetype; the first extension of a mimetype is its default one. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  heif: 'image/heif',
  avif: 'image/avif',
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  '3gp': 'video/3gpp',
  '3g2': 'video/3gpp2',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  ogv: 'video/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  aac: 'audio/aac',
  amr: 'audio/amr',
  flac: 'audio/flac',
  pdf: 'application/pdf',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  bin: 'application/octet-stream',
};

const EXTENSION_OF = new Map<string, string>();
for (const [extension, mimetype] of Object.entries(BY_EXTENSION)) {
  if (!EXTENSION_OF.has(mimetype)) EXTENSION_OF.set(mimetype, extension);
}

/** `Image/PNG; charset=x` → `image/png`: the part that names the type. */
export function essence(mimetype: string): string {
  return mimetype.split(';')[0]!.trim().toLowerCase();
}

/** The family a mimetype is sent as: image, video, audio; everything else (application, text, …) a document. */
export function familyOf(mimetype: string): MediaFamily {
  const type = essence(mimetype).split('/')[0];
  return type === 'image' || type === 'video' || type === 'audio' ? type : 'document';
}

/** The mimetype a file name's extension stands for, if it is one of ours. */
export function mimetypeOfFilename(filename: string): string | undefined {
  const dot = filename.lastIndexOf('.');
  if (dot < 0 || dot === filename.length - 1) return undefined;
  return BY_EXTENSION[filename.slice(dot + 1).toLowerCase()];
}

/** The usual extension of a mimetype (`bin` for one we do not know). */
export function extensionOf(mimetype: string): string {
  return EXTENSION_OF.get(essence(mimetype)) ?? 'bin';
}

/**
 * Mimetypes that say nothing about the bytes: what browsers and HTTP servers label unknown files with. Derived
 * from a response or an upload part, they give way to the file name and the bytes; given by the caller, they stand.
 */
export const UNINFORMATIVE = new Set(['application/octet-stream', 'binary/octet-stream', 'application/unknown']);
