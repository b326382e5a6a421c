/**
 * One supervisor per DATA_DIR. The lock file names the holder by pid and start time, so a lock left by a
 * killed supervisor (or a reused pid) is recognised as stale and taken over. Without it, a second supervisor
 * would reap the first one's workers as orphans.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const current = holder(path);
      if (current !== undefined) throw new Errors.DATA_DIR_IN_USE(dataDir, current.pid);
      rmSync(path, { force: true });
    }
  }
  return () => {
    if (holder(path)?.pid === process.pid) rmSync(path, { force: true });
  };
}
