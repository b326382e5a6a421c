/**
 * A session's pairing as one blob for the cluster store (auth-state-store.ts), and back: `packAuthState` reads
 * the engine's auth files (auth-files.ts) from the session dir into a deterministic archive (auth-archive.ts),
 * gzipped; `unpackAuthState` puts them into a session dir on the node that takes the session over.
 *
 * The sha256 is of the archive before gzip, so it names the files and their contents only: an unchanged
 * pairing gives the same sha256 (and is not saved again) whatever zlib a node has.
 *
 * Size. `maxBytes` (default 64 MiB) caps the archive before gzip. What it bounds: each node holds a snapshot
 * whole in memory (packed, gzipped, sent as one bytea parameter; loaded and gunzipped likewise), and one
 * statement carries it under the pool's statement timeout. PostgreSQL's own bytea limit (1 GB) is far off. An
 * emulator session's pairing is a few KB; real WhatsApp Web's IndexedDB grows with the chats it caches, which
 * is what can reach the cap. Packing stops reading as soon as the files pass it; unpacking stops gunzip there.
 *
 * Live copies. A save while Chromium runs copies LevelDB directories (IndexedDB, Local Storage) it is writing,
 * as whatsapp-web.js's RemoteAuth does. That is safe enough, because LevelDB never rewrites a file in place:
 * writes append to the `.log` write-ahead log (a copy cut inside its last record is still whole: LevelDB drops
 * a torn last record when it opens the log), tables (`.ldb`) are immutable, `MANIFEST-*` is appended to, and
 * `CURRENT` is replaced by a rename. The one danger is a flush or compaction during the copy: a copy may then
 * mix the old MANIFEST with a table already deleted, which Chromium would open as a corrupt database and
 * delete (the pairing lost). So the files are listed before and after reading them, and the read is kept only
 * if nothing but `.log` files grew in between (same names, same inodes, same sizes and mtimes); otherwise it
 * is read again, a few times, then given up with WSM_AUTH_STATE_UNSTABLE (the snapshot saved before stays).
 * Each LevelDB is then a state it really had. Local Storage is flushed to disk seconds late, so a live copy
 * may miss its latest writes; the next save has them. The save after a graceful stop, with the browser
 * gone, is always whole.
 *
 * Restore. The engine's directory (`webjs/`, `simulated/`) is built beside it in a temporary directory, every
 * file synced, then swapped in by two renames; a crash leaves either the old directory or none, never a half
 * profile that Chromium would take for a valid one (none means a QR, and the caller restores again). The
 * caller makes sure no browser of the session runs while it restores.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { EngineName } from '@wsm/ipc-protocol';
import { AuthStateErrors } from '../errors.js';
import { type ArchiveEntry, decodeAuthArchive, encodeAuthArchive } from './auth-archive.js';
import { AUTH_FILES, type AuthFileSet } from './auth-files.js';

export const DEFAULT_AUTH_STATE_MAX_BYTES = 64 * 1024 * 1024;

/** Reads tried before a live copy is given up; a flush or compaction takes milliseconds. */
const READ_ATTEMPTS = 4;
const RETRY_DELAY_MS = 50;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface AuthSnapshot {
  /** The gzipped archive, as stored. */
  data: Buffer;
  /** Of the archive before gzip: equal for equal files. */
  sha256: string;
  /** The files' contents, unpacked. */
  bytes: number;
  files: number;
}

export interface RestoredAuthState {
  sha256: string;
  bytes: number;
  files: number;
}

export interface AuthSnapshotLimits {
  /** Largest archive (before gzip) packed or unpacked. */
  maxBytes?: number;
}

const sha256Of = (raw: Buffer): string => createHash('sha256').update(raw).digest('hex');

function ifMissing<T>(value: T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === 'ENOENT') return value;
    throw error;
  };
}

interface Listed {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** The engine's auth files present now, by POSIX path under the session dir. */
async function listAuthFiles(sessionDir: string, files: AuthFileSet): Promise<Map<string, Listed>> {
  const found = new Map<string, Listed>();
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(join(sessionDir, path), { bigint: true }).catch(ifMissing(undefined));
    if (stats === undefined) return;
    if (stats.isDirectory()) {
      const names = await readdir(join(sessionDir, path)).catch(ifMissing([]));
      for (const name of names.sort()) if (!files.excludes(name)) await visit(`${path}/${name}`);
    } else if (stats.isFile()) {
      found.set(path, { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs });
    }
    // Symlinks, sockets and pipes are never part of a pairing (Chromium's Singleton* links are the browser's).
  };
  for (const included of files.include) await visit(included);
  return found;
}

function unchangedDuringRead(before: Map<string, Listed>, after: Map<string, Listed>, files: AuthFileSet): boolean {
  if (before.size !== after.size) return false;
  for (const [path, was] of before) {
    const now = after.get(path);
    if (now === undefined || now.ino !== was.ino) return false;
    if (files.appendOnly(path.slice(path.lastIndexOf('/') + 1))) continue;
    if (now.size !== was.size || now.mtimeNs !== was.mtimeNs) return false;
  }
  return true;
}

/** One read of every auth file; 'changed' when files changed under it (see Live copies above). */
async function readAuthFiles(sessionDir: string, files: AuthFileSet, maxBytes: number): Promise<ArchiveEntry[] | 'changed'> {
  const before = await listAuthFiles(sessionDir, files);
  const listedBytes = [...before.values()].reduce((sum, file) => sum + Number(file.size), 0);
  if (listedBytes > maxBytes) throw new AuthStateErrors.TOO_LARGE(`under ${sessionDir}`, maxBytes);
  const entries: ArchiveEntry[] = [];
  let readBytes = 0;
  for (const path of before.keys()) {
    const content = await readFile(join(sessionDir, path)).catch(ifMissing(undefined));
    if (content === undefined) return 'changed';
    readBytes += content.length;
    if (readBytes > maxBytes) throw new AuthStateErrors.TOO_LARGE(`under ${sessionDir}`, maxBytes);
    entries.push({ path, content });
  }
  return unchangedDuringRead(before, await listAuthFiles(sessionDir, files), files) ? entries : 'changed';
}

/**
 * The engine's pairing files under `sessionDir`, packed; undefined when there are none. Whether they hold a
 * pairing only the engine knows (a webjs profile has an IndexedDB before any scan): save once the session has
 * been `ready`.
 */
export async function packAuthState(
  sessionDir: string,
  engine: EngineName,
  limits: AuthSnapshotLimits = {},
): Promise<AuthSnapshot | undefined> {
  const files = AUTH_FILES[engine];
  const maxBytes = limits.maxBytes ?? DEFAULT_AUTH_STATE_MAX_BYTES;
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    if (attempt > 1) await delay(RETRY_DELAY_MS * (attempt - 1));
    const entries = await readAuthFiles(sessionDir, files, maxBytes);
    if (entries === 'changed') continue;
    if (entries.length === 0) return undefined;
    const raw = encodeAuthArchive(engine, entries);
    if (raw.length > maxBytes) throw new AuthStateErrors.TOO_LARGE(`under ${sessionDir}`, maxBytes);
    return {
      data: await gzipAsync(raw),
      sha256: sha256Of(raw),
      bytes: entries.reduce((sum, entry) => sum + entry.content.length, 0),
      files: entries.length,
    };
  }
  throw new AuthStateErrors.UNSTABLE(sessionDir, READ_ATTEMPTS);
}

async function gunzipBounded(data: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(data, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new AuthStateErrors.TOO_LARGE('to restore', maxBytes);
    throw new AuthStateErrors.CORRUPT(`gunzip failed: ${(error as Error).message}`, { cause: error });
  }
}

/** fsync of a directory: makes the names created in it (files, renames) survive a power cut. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeSynced(path: string, content: Buffer): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temporary directories of a restore that a crash interrupted. */
async function removeRestoreLeftovers(sessionDir: string, root: string): Promise<void> {
  const names = await readdir(sessionDir);
  const leftovers = names.filter((name) => name.startsWith(`.${root}.restore-`) || name.startsWith(`.${root}.old-`));
  await Promise.all(leftovers.map((name) => rm(join(sessionDir, name), { recursive: true, force: true })));
}

/**
 * Replaces the engine's directory in `sessionDir` by the snapshot's files. `sha256`, when given, is checked
 * against the archive (the value the store recorded with it). No browser of the session may run meanwhile.
 */
export async function unpackAuthState(
  data: Buffer,
  sessionDir: string,
  engine: EngineName,
  options: AuthSnapshotLimits & { sha256?: string } = {},
): Promise<RestoredAuthState> {
  const files = AUTH_FILES[engine];
  const raw = await gunzipBounded(data, options.maxBytes ?? DEFAULT_AUTH_STATE_MAX_BYTES);
  const sha256 = sha256Of(raw);
  if (options.sha256 !== undefined && options.sha256 !== sha256) {
    throw new AuthStateErrors.CORRUPT(`its sha256 is ${sha256}, not the ${options.sha256} it was saved with`);
  }
  const entries = decodeAuthArchive(raw, engine, files);

  await mkdir(sessionDir, { recursive: true, mode: 0o700 });
  await removeRestoreLeftovers(sessionDir, files.root);
  const staging = await mkdtemp(join(sessionDir, `.${files.root}.restore-`));
  try {
    const directories = new Set<string>([staging]);
    for (const { path, content } of entries) {
      // decodeAuthArchive admits only paths of the file set, all under its root.
      const target = join(staging, path.slice(files.root.length + 1));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      for (let dir = dirname(target); dir.startsWith(staging); dir = dirname(dir)) directories.add(dir);
      await writeSynced(target, content);
    }
    for (const dir of directories) await syncDirectory(dir);

    const current = join(sessionDir, files.root);
    const old = join(sessionDir, `.${files.root}.old-${randomBytes(6).toString('hex')}`);
    const hadCurrent = await rename(current, old).then(() => true, ifMissing(false));
    await rename(staging, current);
    await syncDirectory(sessionDir);
    if (hadCurrent) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { sha256, bytes: entries.reduce((sum, entry) => sum + entry.content.length, 0), files: entries.length };
}
