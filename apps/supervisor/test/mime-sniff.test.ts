/** The format of a file by its first bytes, and the rule that checks a declared mimetype against them. */
import { describe, expect, it } from 'vitest';
import { decideMimetype, sniff } from '../src/media/mime-sniff.js';
import { extensionOf, familyOf, mimetypeOfFilename } from '../src/media/mime-types.js';

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
/** An ISO media file's head: box size, `ftyp`, the major brand. */
const ftyp = (brand: string): Buffer => bytes([0, 0, 0, 0x20], 'ftyp', brand, [0, 0, 0, 0], 'isom');

const SAMPLES: Record<string, Buffer> = {
  jpeg: bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF'),
  png: bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d], 'IHDR'),
  pdf: bytes('%PDF-1.7\n%\u00e2\u00e3'),
};

describe('sniff', () => {
  const cases: Array<[string, Buffer, string | undefined, string[]?]> = [
    ['jpeg', SAMPLES.jpeg!, 'image/jpeg'],
    ['png', SAMPLES.png!, 'image/png'],
    ['gif', bytes('GIF89a', [1, 0, 1, 0]), 'image/gif'],
    ['webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    ['wav', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), 'audio/wav'],
    ['bmp', bytes('BM', [0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0]), 'image/bmp'],
    ['"BM" text is not a bmp', bytes('BM is my initials, nothing more'), undefined],
    ['mp4', ftyp('isom'), 'video/mp4', ['video', 'audio']],
    ['quicktime', ftyp('qt  '), 'video/quicktime', ['video']],
    ['heic', ftyp('heic'), 'image/heic', ['image']],
    ['m4a', ftyp('M4A '), 'audio/mp4', ['audio']],
    ['3gp', ftyp('3gp5'), 'video/3gpp', ['video', 'audio']],
    ['webm', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84], 'webm'), 'video/webm'],
    ['mkv', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88], 'matroska'), 'video/x-matroska'],
    ['ogg opus', bytes('OggS', [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4, 1, 0x13], 'OpusHead'), 'audio/ogg', ['audio']],
    ['mp3 id3', bytes('ID3', [4, 0, 0, 0, 0, 0, 0]), 'audio/mpeg'],
    ['mp3 frame', bytes([0xff, 0xfb, 0x90, 0x64, 0, 0]), 'audio/mpeg'],
    ['aac adts', bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]), 'audio/aac'],
    ['amr', bytes('#!AMR\n', [0x3c]), 'audio/amr'],
    ['pdf', SAMPLES.pdf!, 'application/pdf', ['document']],
    ['docx (zip)', bytes('PK', [3, 4, 20, 0, 6, 0]), 'application/zip', ['document']],
    ['plain text', bytes('hello, this is not media'), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ];
  for (const [name, head, mimetype, families] of cases) {
    it(name, () => {
      const found = sniff(head);
      expect(found?.mimetype).toBe(mimetype);
      if (families !== undefined) expect(found?.families).toEqual(families);
    });
  }
});

describe('decideMimetype', () => {
  const pdf = sniff(SAMPLES.pdf!);
  const jpeg = sniff(SAMPLES.jpeg!);
  const mp4 = sniff(ftyp('isom'));

  it('refuses a declared image, video or audio that the bytes are not', () => {
    expect(decideMimetype({ declared: 'image/png', sniffed: pdf, asDocument: false })).toEqual({ ok: false, declared: 'image/png', actual: 'a PDF' });
    expect(decideMimetype({ declared: 'audio/mpeg', sniffed: jpeg, asDocument: false })).toMatchObject({ ok: false, actual: 'a JPEG image' });
    expect(decideMimetype({ declared: 'video/mp4', sniffed: undefined, asDocument: false })).toMatchObject({ ok: false, actual: expect.stringContaining('not a video format') });
  });

  it('takes a container for the family it declares, and keeps audio and video mimetypes as declared', () => {
    expect(decideMimetype({ declared: 'audio/mp4', sniffed: mp4, asDocument: false })).toEqual({ ok: true, mimetype: 'audio/mp4' });
    expect(decideMimetype({ declared: 'audio/ogg; codecs=opus', sniffed: sniff(bytes('OggS', Array(24).fill(0), 'OpusHead')), asDocument: false })).toEqual({
      ok: true,
      mimetype: 'audio/ogg; codecs=opus',
    });
    // An image's format is all in its bytes: they name it.
    expect(decideMimetype({ declared: 'image/png', sniffed: jpeg, asDocument: false })).toEqual({ ok: true, mimetype: 'image/jpeg' });
  });

  it('lets documents and asDocument carry any bytes', () => {
    expect(decideMimetype({ declared: 'application/pdf', sniffed: jpeg, asDocument: false })).toEqual({ ok: true, mimetype: 'application/pdf' });
    expect(decideMimetype({ declared: 'text/csv', sniffed: undefined, asDocument: false })).toEqual({ ok: true, mimetype: 'text/csv' });
    expect(decideMimetype({ declared: 'image/png', sniffed: pdf, asDocument: true })).toEqual({ ok: true, mimetype: 'image/png' });
  });

  it('uses what the bytes are when nothing is declared, else application/octet-stream', () => {
    expect(decideMimetype({ declared: undefined, sniffed: jpeg, asDocument: false })).toEqual({ ok: true, mimetype: 'image/jpeg' });
    expect(decideMimetype({ declared: undefined, sniffed: undefined, asDocument: false })).toEqual({ ok: true, mimetype: 'application/octet-stream' });
  });
});

describe('mime types by name', () => {
  it('maps extensions, families and default extensions', () => {
    expect(mimetypeOfFilename('Invoice.PDF')).toBe('application/pdf');
    expect(mimetypeOfFilename('voice.opus')).toBe('audio/ogg');
    expect(mimetypeOfFilename('noext')).toBeUndefined();
    expect(familyOf('Image/PNG')).toBe('image');
    expect(familyOf('text/plain; charset=utf-8')).toBe('document');
    expect(extensionOf('image/jpeg')).toBe('jpg');
    expect(extensionOf('application/x-unknown')).toBe('bin');
  });
});
