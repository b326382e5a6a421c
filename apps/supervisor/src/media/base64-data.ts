/**
 * `media.data`: strict base64 (the standard alphabet, padded, no white space), optionally as a `data:` URL whose
 * mimetype then counts as declared. Checked and decoded a slice at a time, so the decoded file is never whole
 * in memory next to its JSON text.
 */
import { Errors } from '../errors.js';

export interface Base64Data {
  base64: string;
  /** The mimetype of a `data:<mimetype>;base64,` prefix. */
  mimetype: string | undefined;
}

const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*),/i;

/** Splits off a `data:` URL prefix; a data URL that is not base64 is refused. */
export function parseBase64Data(data: string): Base64Data {
  const prefix = DATA_URL.exec(data.slice(0, 512));
  if (prefix === null) return { base64: data, mimetype: undefined };
  if (!/;base64$/i.test(prefix[2]!)) throw new Errors.MEDIA_INVALID_BASE64('a data: URL must be ;base64-encoded');
  const mimetype = prefix[1]!.trim();
  return { base64: data.slice(prefix[0].length), mimetype: mimetype === '' ? undefined : mimetype };
}

/** The decoded size of well-formed base64; refuses a length that is not a multiple of 4. */
export function decodedSize(base64: string): number {
  if (base64.length % 4 !== 0) throw new Errors.MEDIA_INVALID_BASE64(`its length (${base64.length}) is not a multiple of 4; is it padded with '='?`);
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** Characters per slice: a multiple of 4, so every slice decodes on its own. */
const SLICE = 256 * 1024;
const NOT_BASE64 = /[^A-Za-z0-9+/]/;

/** The decoded bytes, a slice at a time; throws at the first character that is not base64. */
export function* base64Chunks(base64: string): Generator<Buffer> {
  decodedSize(base64);
  const body = base64.replace(/={1,2}$/, '');
  for (let start = 0; start < base64.length; start += SLICE) {
    const slice = body.slice(start, start + SLICE);
    const bad = NOT_BASE64.exec(slice);
    if (bad !== null) {
      const what = bad[0] === '=' ? "padding '=' before the end" : `the character ${JSON.stringify(bad[0])}`;
      throw new Errors.MEDIA_INVALID_BASE64(`${what} at position ${start + bad.index}`);
    }
    if (slice.length > 0) yield Buffer.from(slice, 'base64');
  }
}
