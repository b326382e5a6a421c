/**
 * Which files of a session directory make up an engine's pairing: what a node that takes a session over must
 * have to bring it back `ready` without a new QR. Everything else an engine writes (Chromium's caches, its
 * Preferences and history, crash reports, temp dirs) is rebuilt by itself and stays out of the snapshot.
 *
 * webjs, found by experiment (Debian's Chromium 156, whatsapp-web.js 1.34.7, the emulator): a paired and
 * stopped profile reduced to `Default/IndexedDB` alone comes back `ready` without a QR; reduced to
 * `Default/Local Storage` alone it shows a QR. Real WhatsApp Web keeps its keys in IndexedDB and a few
 * markers in Local Storage, which is also what whatsapp-web.js's own RemoteAuth keeps; both are saved. Not
 * saved: `Local State`, `Preferences`, `WebStorage/QuotaManager` (Chromium recreates them, and the IndexedDB
 * of the default bucket is found without them), caches, Service Worker storage, GPU caches, crash dumps.
 */
import type { EngineName } from '@wsm/ipc-protocol';

export interface AuthFileSet {
  /** The engine's own directory in the session dir: a restore replaces it whole. */
  root: string;
  /** Paths under the session dir, POSIX-style: a file, or a directory whose whole tree is saved. */
  include: readonly string[];
  /** File names never saved, even inside an included directory. */
  excludes(name: string): boolean;
  /**
   * Files that may grow while they are read and are still whole: LevelDB's write-ahead logs (`*.log`), whose
   * torn last record LevelDB drops when it opens them. Any other change during a read means a retry.
   */
  appendOnly(name: string): boolean;
}

/**
 * LevelDB's `LOCK` (held by the live browser; a copied one means nothing) and its human-readable info log
 * `LOG`/`LOG.old`, which gets a timestamped line at every open and would make each snapshot differ.
 */
const LEVELDB_NOISE = new Set(['LOCK', 'LOG', 'LOG.old']);
const isLevelDbLog = (name: string): boolean => name.endsWith('.log');

export const AUTH_FILES: Readonly<Record<EngineName, AuthFileSet>> = {
  simulated: {
    root: 'simulated',
    include: ['simulated/auth.json'],
    excludes: () => false,
    appendOnly: () => false,
  },
  webjs: {
    root: 'webjs',
    // LocalAuth({ dataPath: <sessionDir>/webjs }) puts the profile in `session/`; `Default` is its only profile.
    include: ['webjs/session/Default/IndexedDB', 'webjs/session/Default/Local Storage'],
    excludes: (name) => LEVELDB_NOISE.has(name),
    appendOnly: isLevelDbLog,
  },
};

/** Whether `path` (POSIX, relative to the session dir) is one the engine's file set can hold. */
export function isAuthPath(files: AuthFileSet, path: string): boolean {
  const segments = path.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\0'))) return false;
  if (files.excludes(segments[segments.length - 1]!)) return false;
  return files.include.some((included) => path === included || path.startsWith(`${included}/`));
}
