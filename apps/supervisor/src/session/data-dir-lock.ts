/**
 * One supervisor per DATA_DIR. The lock file names the holder by pid and start time, so a lock left by a
 * killed supervisor (or a reused pid) is recognised as stale and taken over. Without it, a second supervisor
 * would reap the first one's workers as orphans.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errors } from '../errors.js';
import { readProcStat } from '@wsm/procfs';

interface LockContent {
  pid: number;
  startTime: number;
}

const LOCK_FILE = 'supervisor.lock';

function holder(path: string): LockContent | undefined {
  try {
    const content = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockContent>;
    if (typeof content.pid !== 'number' || typeof content.startTime !== 'number') return undefined;
    const stat = readProcStat(content.pid);
    const alive = stat !== undefined && stat.state !== 'Z' && stat.startTime === content.startTime;
    return alive ? { pid: content.pid, startTime: content.startTime } : undefined;
  } catch {
    return undefined;
  }
}

const pause = (ms: number): void => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) as unknown as void;

/**
 * Removes a stale lock under a mutex directory (mkdir is atomic), re-checking its holder there: of two
 * supervisors taking over the same stale lock, the second sees the first's fresh lock and backs off instead of
 * deleting it. A mutex left by a supervisor killed mid-takeover is broken after a few seconds.
 */
function removeIfStale(dataDir: string, path: string): void {
  const mutex = `${path}.takeover`;
  try {
    mkdirSync(mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age = Date.now() - statSync(mutex).mtimeMs;
    if (age > MUTEX_STALE_MS) rmSync(mutex, { recursive: true, force: true });
    pause(50);
    return;
  }
  try {
    const current = holder(path);
    if (current !== undefined && current.pid !== process.pid) throw new Errors.DATA_DIR_IN_USE(dataDir, current.pid);
    rmSync(path, { force: true });
  } finally {
    rmSync(mutex, { recursive: true, force: true });
  }
}

const MUTEX_STALE_MS = 5000;
const TAKEOVER_ATTEMPTS = 100;

/** Takes the lock or throws WSM_DATA_DIR_IN_USE; returns its release. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const content = JSON.stringify({ pid: process.pid, startTime: readProcStat(process.pid)?.startTime ?? 0 });
  for (let attempt = 0; ; attempt++) {
    try {
      // 'wx' fails if the file exists: two supervisors starting together cannot both win.
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > TAKEOVER_ATTEMPTS) throw error;
      const current = holder(path);
      if (current !== undefined) throw new Errors.DATA_DIR_IN_USE(dataDir, current.pid);
      removeIfStale(dataDir, path);
    }
  }
  return () => {
    if (holder(path)?.pid === process.pid) rmSync(path, { force: true });
  };
}
