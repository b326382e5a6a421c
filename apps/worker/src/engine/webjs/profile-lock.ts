/**
 * Chromium refuses a profile whose `SingletonLock` names a live process ("The browser is already running").
 * After a worker is killed its Chromium can outlive it for a few seconds (it exits once its pipe closes), and
 * a killed machine or container leaves the lock behind for good. The lock files are removed only once their
 * owner is confirmed dead: we wait for a dying browser of this same session, kill it if it lingers, and refuse
 * a profile held by any other live process. "Live owner" means a live process whose command line opens this
 * very profile: after a container restart the pid in the lock often belongs to some unrelated new process.
 */
import { readlink, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import { commandLineOf, environOf, isLive, readProcStat, signalGroup, signalProcess } from '@wsm/procfs';
import { WorkerError } from '../../errors.js';
import type { Log } from '../../log.js';

const LOCK_FILES = ['SingletonLock', 'SingletonSocket', 'SingletonCookie'];
const POLL_MS = 100;

async function lockOwner(profileDir: string): Promise<{ host: string; pid: number } | undefined> {
  try {
    const target = await readlink(join(profileDir, 'SingletonLock'));
    const match = /^(.*)-(\d+)$/.exec(target);
    return match ? { host: match[1]!, pid: Number(match[2]) } : undefined;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isLive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

export async function releaseStaleProfileLock(
  profileDir: string,
  sessionMark: string,
  log: Log,
  graceMs = 10_000,
): Promise<void> {
  const owner = await lockOwner(profileDir);
  if (owner === undefined) return;
  // Another host's lock cannot be checked, and one supervisor owns a DATA_DIR: it is a leftover.
  const holdsProfile = (pid: number): boolean => commandLineOf(pid).includes(`--user-data-dir=${profileDir}`);
  if (owner.host === hostname() && owner.pid !== process.pid && isLive(owner.pid) && holdsProfile(owner.pid)) {
    const ours = environOf(owner.pid).includes(sessionMark);
    if (!ours) {
      throw new WorkerError(
        WorkerErrorCode.PROFILE_IN_USE,
        `the browser profile ${profileDir} is in use by live process ${owner.pid}, which is not this session's browser`,
      );
    }
    log.warn('a previous browser of this session still holds its profile; waiting for it to exit', { pid: owner.pid });
    if (!(await waitForExit(owner.pid, graceMs))) {
      // Its whole group only when it leads one (puppeteer starts Chromium detached): never a group of ours.
      const leadsGroup = readProcStat(owner.pid)?.pgid === owner.pid && owner.pid !== readProcStat(process.pid)?.pgid;
      log.warn('killing the previous browser of this session', { pid: owner.pid, group: leadsGroup });
      if (leadsGroup) signalGroup(owner.pid, 'SIGKILL');
      else signalProcess(owner.pid, 'SIGKILL');
      if (!(await waitForExit(owner.pid, 5000))) {
        throw new WorkerError(WorkerErrorCode.PROFILE_IN_USE, `the previous browser (pid ${owner.pid}) of this session would not die`);
      }
    }
  }
  await Promise.all(LOCK_FILES.map((name) => rm(join(profileDir, name), { force: true })));
  log.info('removed a stale browser profile lock', { owner: `${owner.host}-${owner.pid}` });
}
