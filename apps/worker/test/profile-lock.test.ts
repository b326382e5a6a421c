import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseStaleProfileLock } from '../src/engine/webjs/profile-lock.js';
import { createLog } from '../src/log.js';

const log = createLog('fatal', () => {});
let profile: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  profile = mkdtempSync(join(tmpdir(), 'wsm-profile-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(profile, { recursive: true, force: true });
});

function lockFor(pid: number, host = hostname()): void {
  symlinkSync(`${host}-${pid}`, join(profile, 'SingletonLock'));
  symlinkSync('/tmp/gone/SingletonSocket', join(profile, 'SingletonSocket'));
  writeFileSync(join(profile, 'SingletonCookie'), '123');
}

/**
 * A stand-in browser: a process whose command line opens the profile (`--user-data-dir=<profile>`), leading its
 * own process group like puppeteer's Chromium unless told otherwise.
 */
function sleeper(env: Record<string, string> = {}, seconds = 30, detached = true, opensProfile = true): ChildProcess {
  const args = ['-e', `setTimeout(() => {}, ${seconds * 1000})`, ...(opensProfile ? ['--', `--user-data-dir=${profile}`] : [])];
  const child = spawn(process.execPath, args, { stdio: 'ignore', detached, env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

/** lstat, not exists: the lock files are symlinks to nowhere ("host-pid"). */
const present = (name: string): boolean => {
  try {
    lstatSync(join(profile, name));
    return true;
  } catch {
    return false;
  }
};
const lockGone = (): boolean => ['SingletonLock', 'SingletonSocket', 'SingletonCookie'].every((name) => !present(name));

describe('releaseStaleProfileLock', () => {
  it('removes the lock files of an owner that is dead', async () => {
    const dead = sleeper();
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    lockFor(dead.pid!);
    expect(lockGone()).toBe(false);
    await releaseStaleProfileLock(profile, 'WSM_SESSION_ID=s1', log);
    expect(lockGone()).toBe(true);
  });

  it("removes another host's lock (one supervisor owns a data dir)", async () => {
    lockFor(process.pid, 'some-old-container');
    await releaseStaleProfileLock(profile, 'WSM_SESSION_ID=s1', log);
    expect(lockGone()).toBe(true);
  });

  it('takes a live pid that does not open this profile for a reused pid: the lock is stale', async () => {
    const unrelated = sleeper({ WSM_SESSION_ID: 's1' }, 30, true, false);
    lockFor(unrelated.pid!);
    await releaseStaleProfileLock(profile, 'WSM_SESSION_ID=s1', log, 200);
    expect(lockGone()).toBe(true);
    expect(unrelated.exitCode).toBeNull();
  });

  it('refuses a profile held by a live process that is not this session’s browser', async () => {
    const stranger = sleeper();
    lockFor(stranger.pid!);
    await expect(releaseStaleProfileLock(profile, 'WSM_SESSION_ID=s1', log)).rejects.toMatchObject({ code: 'WSM_PROFILE_IN_USE' });
    expect(present('SingletonLock')).toBe(true);
  });

  it('waits for a dying browser of this session, then removes the lock', async () => {
    const dying = sleeper({ WSM_SESSION_ID: 's1' }, 1);
    lockFor(dying.pid!);
    const started = Date.now();
    await releaseStaleProfileLock(profile, 'WSM_SESSION_ID=s1', log, 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(lockGone()).toBe(true);
  });

  it('kills only the process, not our own group, when the lingering owner leads no group', async () => {
    const lingering = sleeper({ WSM_SESSION_ID: 's1' }, 60, false);
    lockFor(lingering.pid!);
    const exited = new Promise((resolve) => lingering.once('exit', (_code, signal) => resolve(signal)));
    await releaseStaleProfileLock(profile, 'WSM_SESSION_ID=s1', log, 200);
    expect(await exited).toBe('SIGKILL');
    expect(lockGone()).toBe(true);
  });

  it('kills a browser of this session that lingers past the grace period', async () => {
    const lingering = sleeper({ WSM_SESSION_ID: 's1' }, 60);
    lockFor(lingering.pid!);
    const exited = new Promise((resolve) => lingering.once('exit', (_code, signal) => resolve(signal)));
    await releaseStaleProfileLock(profile, 'WSM_SESSION_ID=s1', log, 200);
    expect(await exited).toBe('SIGKILL');
    expect(lockGone()).toBe(true);
  });
});
