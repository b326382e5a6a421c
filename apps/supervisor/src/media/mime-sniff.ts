/**
 * What the first bytes of a file say it is (magic numbers), and the rule that checks a declared mimetype
 * against them. Pure: the intake reads the head of the spool file and asks.
 *
 *   declared image/*, video/*, audio/* (not asDocument) → the bytes must sniff as that family, else 415;
 *                                                         an image keeps the bytes' own type, audio and
 *                                                         video keep the declared one (it may name codecs)
 *   declared anything else, or asDocument               → any bytes, the declared mimetype stands
 *   nothing declared                                    → the sniffed mimetype, else application/octet-stream
 */
import { essence, familyOf, type MediaFamily } from './mime-types.js';

/** Bytes of the head that sniffing looks at: enough for every signature below (webm's DocType sits deepest). */
export const SNIFF_BYTES = 64;

export interface Sniffed {
  mimetype: string;
  /** Families the format can carry: a container such as MP4 or WebM holds video or audio alone. */
  families: readonly MediaFamily[];
  /** For messages: "a PDF", "a JPEG image". */
  label: string;
}

const ascii = (head: Uint8Array, offset: number, text: string): boolean => {
  if (head.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[offset + i] !== text.charCodeAt(i)) return false;
  return true;
};

const bytes = (head: Uint8Array, offset: number, expected: readonly number[]): boolean =>
  head.length >= offset + expected.length && expected.every((byte, i) => head[offset + i] === byte);

const IMAGE: readonly MediaFamily[] = ['image'];
const VIDEO: readonly MediaFamily[] = ['video'];
const AUDIO: readonly MediaFamily[] = ['audio'];
const AUDIO_OR_VIDEO: readonly MediaFamily[] = ['video', 'audio'];
const DOCUMENT: readonly MediaFamily[] = ['document'];

const found = (mimetype: string, families: readonly MediaFamily[], label: string): Sniffed => ({ mimetype, families, label });

/** ISO base media files (MP4, MOV, 3GP, HEIC, AVIF, M4A) by the major brand of their `ftyp` box. */
function isoMedia(head: Uint8Array): Sniffed | undefined {
  if (!ascii(head, 4, 'ftyp') || head.length < 12) return undefined;
  const brand = String.fromCharCode(...head.subarray(8, 12));
  if (brand === 'qt  ') return found('video/quicktime', VIDEO, 'a QuickTime video');
  if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'].includes(brand)) return found('image/heic', IMAGE, 'a HEIC image');
  if (brand === 'mif1' || brand === 'msf1') return found('image/heif', IMAGE, 'a HEIF image');
  if (brand === 'avif' || brand === 'avis') return found('image/avif', IMAGE, 'an AVIF image');
  if (brand === 'M4A ' || brand === 'M4B ' || brand === 'M4P ') return found('audio/mp4', AUDIO, 'an M4A audio');
  if (brand === 'M4V ' || brand === 'M4VH' || brand === 'M4VP') return found('video/x-m4v', VIDEO, 'an M4V video');
  if (brand.startsWith('3g2')) return found('video/3gpp2', AUDIO_OR_VIDEO, 'a 3GPP2 file');
  if (brand.startsWith('3g')) return found('video/3gpp', AUDIO_OR_VIDEO, 'a 3GPP file');
  // isom, iso2…, mp41, mp42, avc1, dash and the rest: an MP4 container, with video or audio alone.
  return found('video/mp4', AUDIO_OR_VIDEO, 'an MP4 file');
}

/** RIFF files: WebP, WAV, AVI. */
function riff(head: Uint8Array): Sniffed | undefined {
  if (!ascii(head, 0, 'RIFF')) return undefined;
  if (ascii(head, 8, 'WEBP')) return found('image/webp', IMAGE, 'a WebP image');
  if (ascii(head, 8, 'WAVE')) return found('audio/wav', AUDIO, 'a WAV audio');
  if (ascii(head, 8, 'AVI ')) return found('video/x-msvideo', VIDEO, 'an AVI video');
  return undefined;
}

/** Matroska and WebM: EBML, then the DocType within the header. */
function matroska(head: Uint8Array): Sniffed | undefined {
  if (!bytes(head, 0, [0x1a, 0x45, 0xdf, 0xa3])) return undefined;
  const header = String.fromCharCode(...head.subarray(4, SNIFF_BYTES));
  if (header.includes('webm')) return found('video/webm', AUDIO_OR_VIDEO, 'a WebM file');
  return found('video/x-matroska', AUDIO_OR_VIDEO, 'a Matroska file');
}

/** Ogg: the codec's header sits in the first page, right after its 27-byte header and segment table. */
function ogg(head: Uint8Array): Sniffed | undefined {
  if (!ascii(head, 0, 'OggS')) return undefined;
  const page = String.fromCharCode(...head.subarray(0, SNIFF_BYTES));
  if (page.includes('OpusHead') || page.includes('\u0001vorbis') || page.includes('Speex')) return found('audio/ogg', AUDIO, 'an Ogg audio');
  if (page.includes('\u0080theora')) return found('video/ogg', VIDEO, 'an Ogg video');
  return found('audio/ogg', AUDIO_OR_VIDEO, 'an Ogg file');
}

/** MPEG audio frames (MP3) and ADTS (AAC) both begin with a 12-bit sync; the layer bits tell them apart. */
function mpegAudio(head: Uint8Array): Sniffed | undefined {
  if (ascii(head, 0, 'ID3')) return found('audio/mpeg', AUDIO, 'an MP3 audio');
  if (head.length < 3 || head[0] !== 0xff) return undefined;
  const second = head[1]!;
  if ((second & 0xf6) === 0xf0) return found('audio/aac', AUDIO, 'an AAC audio');
  const layer = (second >> 1) & 0b11;
  const version = (second >> 3) & 0b11;
  const bitrate = head[2]! >> 4;
  const sampleRate = (head[2]! >> 2) & 0b11;
  if ((second & 0xe0) === 0xe0 && layer !== 0 && version !== 1 && bitrate !== 15 && sampleRate !== 3) {
    return found('audio/mpeg', AUDIO, 'an MP3 audio');
  }
  return undefined;
}

/** BMP: "BM", then a DIB header of one of the known sizes at offset 14. */
function bmp(head: Uint8Array): Sniffed | undefined {
  if (!ascii(head, 0, 'BM') || head.length < 18) return undefined;
  const dibSize = head[14]! | (head[15]! << 8) | (head[16]! << 16) | (head[17]! << 24);
  return [12, 40, 52, 56, 64, 108, 124].includes(dibSize) ? found('image/bmp', IMAGE, 'a BMP image') : undefined;
}

/** The format of a file by its first bytes (at least SNIFF_BYTES of them when the file has that many). */
export function sniff(head: Uint8Array): Sniffed | undefined {
  if (bytes(head, 0, [0xff, 0xd8, 0xff])) return found('image/jpeg', IMAGE, 'a JPEG image');
  if (bytes(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return found('image/png', IMAGE, 'a PNG image');
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return found('image/gif', IMAGE, 'a GIF image');
  if (bytes(head, 0, [0x49, 0x49, 0x2a, 0x00]) || bytes(head, 0, [0x4d, 0x4d, 0x00, 0x2a])) return found('image/tiff', IMAGE, 'a TIFF image');
  if (ascii(head, 0, '%PDF-')) return found('application/pdf', DOCUMENT, 'a PDF');
  if (bytes(head, 0, [0x50, 0x4b, 0x03, 0x04]) || bytes(head, 0, [0x50, 0x4b, 0x05, 0x06])) {
    return found('application/zip', DOCUMENT, 'a ZIP archive (or an Office document)');
  }
  if (bytes(head, 0, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return found('application/x-ole-storage', DOCUMENT, 'an old Office document');
  if (ascii(head, 0, '#!AMR-WB\n')) return found('audio/amr-wb', AUDIO, 'an AMR-WB audio');
  if (ascii(head, 0, '#!AMR\n')) return found('audio/amr', AUDIO, 'an AMR audio');
  if (ascii(head, 0, 'fLaC')) return found('audio/flac', AUDIO, 'a FLAC audio');
  if (bytes(head, 0, [0x00, 0x00, 0x01, 0xba])) return found('video/mpeg', VIDEO, 'an MPEG video');
  return isoMedia(head) ?? riff(head) ?? matroska(head) ?? ogg(head) ?? mpegAudio(head) ?? bmp(head);
}

export interface MimetypeQuestion {
  /** The mimetype the caller gave, or one derived from a response's content-type or the file name. */
  declared: string | undefined;
  sniffed: Sniffed | undefined;
  /** Sent as a document: any bytes will do. */
  asDocument: boolean;
}

export type MimetypeAnswer = { ok: true; mimetype: string } | { ok: false; declared: string; actual: string };

export const FALLBACK_MIMETYPE = 'application/octet-stream';

/** The mimetype to send with, or why the declared one is refused (the rules atop this file). */
export function decideMimetype({ declared, sniffed, asDocument }: MimetypeQuestion): MimetypeAnswer {
  if (declared === undefined) return { ok: true, mimetype: sniffed?.mimetype ?? FALLBACK_MIMETYPE };
  const family = familyOf(declared);
  if (asDocument || family === 'document') return { ok: true, mimetype: declared };
  if (sniffed === undefined) return { ok: false, declared: essence(declared), actual: `not a ${family} format this service recognizes` };
  if (!sniffed.families.includes(family)) return { ok: false, declared: essence(declared), actual: sniffed.label };
  return { ok: true, mimetype: family === 'image' ? sniffed.mimetype : declared };
}
