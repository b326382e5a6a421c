/**
 * The byte format of an auth snapshot before gzip, made to be deterministic: the same files with the same
 * contents give the same bytes, so an unchanged pairing hashes the same and is not written again. It holds
 * no mtimes, owners or modes (a restore writes 0600 files in 0700 directories), and files in byte order of
 * their paths. Integers are big-endian:
 *
 *   "WSMAUTH" 0x01 | u8 engine length | engine (UTF-8) | u32 file count
 *   per file: u16 path length | path (UTF-8, POSIX, relative to the session dir) | u32 size | content
 *
 * Reading checks everything a crafted or damaged archive could abuse: lengths inside the buffer, paths in
 * strictly ascending order (so none twice), each path one the engine's file set can hold, nothing left over.
 */
import type { EngineName } from '@wsm/ipc-protocol';
import { AuthStateErrors } from '../errors.js';
import { type AuthFileSet, isAuthPath } from './auth-files.js';

export interface ArchiveEntry {
  path: string;
  content: Buffer;
}

const MAGIC = Buffer.from('WSMAUTH\x01', 'latin1');

const byPath = (a: { key: Buffer }, b: { key: Buffer }): number => Buffer.compare(a.key, b.key);

export function encodeAuthArchive(engine: EngineName, entries: readonly ArchiveEntry[]): Buffer {
  const engineBytes = Buffer.from(engine, 'utf8');
  const head = Buffer.alloc(MAGIC.length + 1 + engineBytes.length + 4);
  MAGIC.copy(head, 0);
  head.writeUInt8(engineBytes.length, MAGIC.length);
  engineBytes.copy(head, MAGIC.length + 1);
  head.writeUInt32BE(entries.length, MAGIC.length + 1 + engineBytes.length);
  const parts: Buffer[] = [head];
  const sorted = entries.map((entry) => ({ key: Buffer.from(entry.path, 'utf8'), content: entry.content })).sort(byPath);
  for (const { key, content } of sorted) {
    const prefix = Buffer.alloc(2 + key.length + 4);
    prefix.writeUInt16BE(key.length, 0);
    key.copy(prefix, 2);
    prefix.writeUInt32BE(content.length, 2 + key.length);
    parts.push(prefix, content);
  }
  return Buffer.concat(parts);
}

export function decodeAuthArchive(raw: Buffer, engine: EngineName, files: AuthFileSet): ArchiveEntry[] {
  let offset = 0;
  const take = (length: number, what: string): Buffer => {
    if (offset + length > raw.length) throw new AuthStateErrors.CORRUPT(`the archive ends inside ${what}`);
    const slice = raw.subarray(offset, offset + length);
    offset += length;
    return slice;
  };
  if (!take(MAGIC.length, 'its header').equals(MAGIC)) throw new AuthStateErrors.CORRUPT('not an auth snapshot of this format');
  const archived = take(take(1, 'its header').readUInt8(0), 'its header').toString('utf8');
  if (archived !== engine) {
    throw new AuthStateErrors.CORRUPT(`it holds the '${archived}' engine's files, not the '${engine}' engine's`);
  }
  const count = take(4, 'its header').readUInt32BE(0);
  const entries: ArchiveEntry[] = [];
  let previous: Buffer | undefined;
  for (let index = 0; index < count; index++) {
    const key = take(take(2, 'a path length').readUInt16BE(0), 'a path');
    const path = key.toString('utf8');
    if (previous !== undefined && Buffer.compare(previous, key) >= 0) {
      throw new AuthStateErrors.CORRUPT(`its paths are not in ascending order at '${path}'`);
    }
    if (!isAuthPath(files, path)) throw new AuthStateErrors.CORRUPT(`'${path}' is not a file of the '${engine}' engine's auth state`);
    previous = key;
    const content = take(take(4, 'a file size').readUInt32BE(0), `the content of '${path}'`);
    entries.push({ path, content });
  }
  if (offset !== raw.length) throw new AuthStateErrors.CORRUPT(`${raw.length - offset} bytes follow its last file`);
  return entries;
}
