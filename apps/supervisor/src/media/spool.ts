/**
 * Writing bytes to a spool file as they arrive: counted, hashed (sha256) and capped on the way, so no file is
 * ever held in memory and an oversized one is stopped at the first byte too many. Whatever fails (the cap, the
 * source, the disk, a client that goes away), the file is removed before the error comes back.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Errors } from '../errors.js';
import { SNIFF_BYTES } from './mime-sniff.js';

export interface SpoolFile {
  /** Absolute path of the file. */
  path: string;
  size: number;
  /** Hex sha256 of the bytes. */
  sha256: string;
  /** The first bytes (up to SNIFF_BYTES), for sniffing the format. */
  head: Buffer;
}

export interface SpoolTarget {
  /** Created on demand. */
  dir: string;
  maxBytes: number;
}

/** Removes a spool file; one already gone (moved on, or removed before) is fine. */
export async function removeSpoolFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Writes `source` to a new file under `target.dir`; 413 WSM_MEDIA_TOO_LARGE past `target.maxBytes`. */
export async function spool(source: AsyncIterable<Uint8Array>, target: SpoolTarget): Promise<SpoolFile> {
  await mkdir(target.dir, { recursive: true, mode: 0o700 });
  const path = join(target.dir, `${randomUUID()}.part`);
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  async function* measured(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      size += chunk.byteLength;
      // Thrown before the chunk is written: pipeline then destroys the source, which stops reading it.
      if (size > target.maxBytes) throw new Errors.MEDIA_TOO_LARGE(target.maxBytes);
      hash.update(chunk);
      if (headBytes < SNIFF_BYTES) {
        const part = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, SNIFF_BYTES - headBytes));
        head.push(Buffer.from(part));
        headBytes += part.byteLength;
      }
      yield chunk;
    }
  }
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  try {
    await pipeline(source, measured, file);
  } catch (error) {
    // A source that fails at once can fail while the file is still being opened: it exists only once the
    // stream has closed (seen in CI: a `.part` file left by a refused base64, created after its removal).
    if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
    await removeSpoolFile(path);
    throw error;
  }
  return { path, size, sha256: hash.digest('hex'), head: Buffer.concat(head) };
}
