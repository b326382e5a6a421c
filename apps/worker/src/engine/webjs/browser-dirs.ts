/**
 * Where Chromium writes outside its profile, moved into the session's directory so that nothing of a session
 * is written outside DATA_DIR. Besides its profile, Debian's Chromium 156 (headless, as we run it) writes:
 *   - under TMPDIR: its ProcessSingleton directory `org.chromium.Chromium.XXXXXX` (the profile's
 *     `SingletonSocket` links into it). A clean exit removes it; a killed browser leaves it behind.
 *   - under XDG_CONFIG_HOME (default ~/.config): the crashpad database, `chromium/Crash Reports`.
 *   - under XDG_RUNTIME_DIR, or XDG_CACHE_HOME (default ~/.cache) when that is unset: dconf's `dconf/user`.
 * All of them go to `<sessionDir>/chromium/{tmp,config,cache,run}`, private to the session (0700).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
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

/**
 * Creates the directories after emptying the temp directory. Call it only once no earlier browser of the
 * session is alive (releaseStaleProfileLock): the temp directory serves this session's browser alone, one at
 * a time, so everything in it then is a leftover of a dead one.
 */
export async function prepareBrowserDirs(dirs: BrowserDirs, log: Log): Promise<void> {
  const leftovers = await readdir(dirs.tmp).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  await Promise.all(leftovers.map((name) => rm(join(dirs.tmp, name), { recursive: true, force: true })));
  if (leftovers.length > 0) log.info('removed what dead browsers of this session left in its temp directory', { leftovers });
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true, mode: 0o700 });
}
