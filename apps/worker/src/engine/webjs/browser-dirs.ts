/**
 * Where Chromium writes outside its profile, moved into the session's directory so that nothing of a session
 * is written outside DATA_DIR. Besides its profile, Debian's Chromium 156 (headless, as we run it) writes:
 *   - under TMPDIR: its ProcessSingleton directory `org.chromium.Chromium.XXXXXX` (the profile's
 *     `SingletonSocket` links into it). A clean exit removes it; a killed browser leaves it behind.
 *   - under XDG_CONFIG_HOME (default ~/.config): the crashpad database, `chromium/Crash Reports`.
 *   - under XDG_RUNTIME_DIR, or XDG_CACHE_HOME (default ~/.cache) when that is unset: dconf's `dconf/user`.
 * All of them go to `<sessionDir>/chromium/{tmp,config,cache,run}`, private to the session (0700).
 *
 * One limit: the ProcessSingleton's socket, `<TMPDIR>/org.chromium.Chromium.XXXXXX/SingletonSocket`, must fit a
 * Unix socket path (107 bytes), or Chromium aborts at start ("Target closed", over and over). With a long
 * DATA_DIR (more than about 35 characters with the session id) TMPDIR is instead a short symlink in the system
 * temp directory, `wsm-chromium-<hash>`, to the same session directory: the files still land in DATA_DIR.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../../log.js';

export interface BrowserDirs {
  tmp: string;
  config: string;
  cache: string;
  run: string;
}

export function browserDirs(sessionDir: string): BrowserDirs {
  const root = join(sessionDir, 'chromium');
  return { tmp: join(root, 'tmp'), config: join(root, 'config'), cache: join(root, 'cache'), run: join(root, 'run') };
}

/** This worker's environment (with its session marks), Chromium's own directories pointed into the session. */
export function browserEnv(dirs: BrowserDirs, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return { ...env, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: dirs.config, XDG_CACHE_HOME: dirs.cache, XDG_RUNTIME_DIR: dirs.run };
}

/** sun_path holds 108 bytes with its terminating NUL. */
const MAX_SOCKET_PATH = 107;
const SINGLETON_SOCKET = '/org.chromium.Chromium.XXXXXX/SingletonSocket';

export const socketPathFits = (tmp: string): boolean => Buffer.byteLength(tmp + SINGLETON_SOCKET) <= MAX_SOCKET_PATH;

/** `tmp` itself when Chromium's socket fits under it, else a short symlink to it (made or corrected here). */
async function socketSafeTmp(tmp: string, log: Log): Promise<string> {
  if (socketPathFits(tmp)) return tmp;
  const alias = join(tmpdir(), `wsm-chromium-${createHash('sha256').update(tmp).digest('hex').slice(0, 16)}`);
  if ((await readlink(alias).catch(() => undefined)) === tmp) return alias;
  // Made beside its name and renamed over it: whatever was there (a stale link) is replaced in one step.
  const temp = `${alias}.${randomUUID()}`;
  await symlink(tmp, temp);
  await rename(temp, alias);
  log.info("DATA_DIR is too long for Chromium's socket path: its temp directory is reached through a short link", { link: alias, to: tmp });
  return alias;
}

/**
 * Creates the directories after emptying the temp directory, and answers them as Chromium should be given them
 * (the temp directory through a short link if need be). Call it only once no earlier browser of the session is
 * alive (releaseStaleProfileLock): the temp directory serves this session's browser alone, one at a time, so
 * everything in it then is a leftover of a dead one.
 */
export async function prepareBrowserDirs(dirs: BrowserDirs, log: Log): Promise<BrowserDirs> {
  const leftovers = await readdir(dirs.tmp).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  await Promise.all(leftovers.map((name) => rm(join(dirs.tmp, name), { recursive: true, force: true })));
  if (leftovers.length > 0) log.info('removed what dead browsers of this session left in its temp directory', { leftovers });
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true, mode: 0o700 });
  return { ...dirs, tmp: await socketSafeTmp(dirs.tmp, log) };
}
