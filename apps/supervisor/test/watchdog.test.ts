/**
 * The heartbeat watchdog against real processes: a worker is hung when it was silent for time it could run,
 * not when the supervisor could not listen (SIGSTOPped, frozen with its workers) or the worker was starved of
 * CPU. A worker that is truly stopped is still killed (recovery.test.ts covers one on its own).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isLive } from '@wsm/procfs';
import { fixture, ownedPids, removeDir, tempDataDir } from './helpers.js';
import { readySessions, useSupervisorProcesses, waitForRemoteSession, type SupervisorProcess } from './supervisor-process.js';

const TIMEOUT_MS = 2000;
/** Busy loops sharing a starved worker's CPU: enough that it runs only about once a second. */
const HOGS = 16;
let dataDir: string;
const hogs: ChildProcess[] = [];

const supervisor = useSupervisorProcesses(() => dataDir);

afterEach(() => {
  for (const hog of hogs.splice(0)) hog.kill('SIGKILL');
});


const heartbeatKills = (target: SupervisorProcess): Array<Record<string, unknown>> =>
  target.records.filter((record) => record.msg === 'worker missed its heartbeats; killing its process group');

/** For `forMs` after the supervisor runs again, every session stays ready in the worker it had: nothing is an event here. */
async function expectUntouched(target: SupervisorProcess, sessions: Array<{ sessionId: string; pid: number }>, forMs: number): Promise<void> {
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    for (const { sessionId, pid } of sessions) {
      const { body } = await target.request('GET', `/sessions/${sessionId}`);
      expect(body).toMatchObject({ status: 'ready', pid, restarts: 0, lastError: null });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(heartbeatKills(target)).toEqual([]);
}

function stopFor(pids: number[], ms: number): Promise<void> {
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('the heartbeat watchdog', () => {
  it('kills no healthy worker when the supervisor was SIGSTOPped for longer than the timeout', async () => {
    dataDir = tempDataDir();
    const target = await supervisor({ HEARTBEAT_TIMEOUT_MS: String(TIMEOUT_MS) });
    const sessions = await readySessions(target, ['a', 'b', 'c', 'd']);
    const supervisorPid = target.child.pid!;

    await stopFor([supervisorPid], TIMEOUT_MS * 2.5);
    process.kill(supervisorPid, 'SIGCONT');

    await expectUntouched(target, sessions, TIMEOUT_MS * 2);
    for (const { pid } of sessions) expect(isLive(pid)).toBe(true);
  });

  it('kills no worker when the supervisor and its workers were frozen together (docker pause)', async () => {
    dataDir = tempDataDir();
    const target = await supervisor({ HEARTBEAT_TIMEOUT_MS: String(TIMEOUT_MS) });
    const sessions = await readySessions(target, ['x', 'y', 'z']);
    const supervisorPid = target.child.pid!;
    const workers = sessions.map((session) => session.pid);

    await stopFor([supervisorPid, ...workers], TIMEOUT_MS * 2.5);
    // The supervisor thaws first, and its workers a moment later (on a loaded machine they take a while to run):
    // its watchdogs look before any worker has beaten, and find nothing in the pipes.
    process.kill(supervisorPid, 'SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 4));
    for (const pid of workers) process.kill(pid, 'SIGCONT');

    await expectUntouched(target, sessions, TIMEOUT_MS * 2);
  });

  it('gives a worker starved of CPU longer, while a stopped one is killed', async () => {
    dataDir = tempDataDir();
    const timeoutMs = 500;
    const target = await supervisor({ HEARTBEAT_TIMEOUT_MS: String(timeoutMs) });
    const [starved, stopped] = await readySessions(target, ['starved', 'stopped']);
    starve(starved!.pid);
    process.kill(stopped!.pid, 'SIGSTOP');
    // Starved for less than the starved limit (6 timeouts), in silences of about a second: each one the old
    // watchdog took for a hang.
    await new Promise((resolve) => setTimeout(resolve, 4 * timeoutMs));
    for (const hog of hogs.splice(0)) hog.kill('SIGKILL');

    await waitForRemoteSession(target, 'stopped', (session) => session.status === 'ready' && session.pid !== stopped!.pid);
    expect(isLive(stopped!.pid)).toBe(false);
    const after = await waitForRemoteSession(target, 'starved', (session) => session.status === 'ready');
    expect(after).toMatchObject({ pid: starved!.pid, restarts: 0, lastError: null });
    expect(isLive(starved!.pid)).toBe(true);
    expect(heartbeatKills(target).map((record) => record.sessionId)).toEqual(['stopped']);
    // It was silent past the timeout, and spared for having waited for a CPU, not by luck.
    const reprieves = target.records.filter((record) => record.sessionId === 'starved' && record.excuse !== undefined);
    expect(reprieves.map((record) => record.excuse)).toContain('worker-starved');
  });

  it.each([
    ['busy-looping', 'busy', 'R'],
    ['blocked in a synchronous call', 'blocked', 'S'],
  ])('kills a worker %s', async (_title, hang, state) => {
    dataDir = tempDataDir();
    const target = await supervisor({ HEARTBEAT_TIMEOUT_MS: '1000', WORKER_ENTRY: fixture('hang-after-qr.mjs'), FIXTURE_HANG: hang });
    expect((await target.request('POST', '/start-session', { sessionId: 'hung' })).status).toBe(202);
    const first = await waitForRemoteSession(target, 'hung', (session) => session.status === 'qr');
    await waitForRemoteSession(target, 'hung', (session) => session.lastError?.code === 'WSM_HEARTBEAT_TIMEOUT');
    const [kill] = heartbeatKills(target);
    expect(kill).toMatchObject({ sessionId: 'hung', pid: first.pid, workerState: state });
    if (hang === 'busy') expect(kill!.workerRunMs).toBeGreaterThan(0);
  });
});

/**
 * Leaves a worker runnable but almost never running: pinned to one CPU with busy loops, at the lowest weight
 * there. Each loop is a session of its own: the scheduler shares a CPU between sessions (autogroups) first, so
 * the worker's session (it is forked detached) gets weight 15 against 1024 for each loop's.
 */
function starve(pid: number): void {
  const cpu = String(availableParallelism() - 1);
  execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
  execFileSync('chrt', ['-a', '--idle', '-p', '0', String(pid)], { stdio: 'ignore' });
  if (existsSync(`/proc/${pid}/autogroup`)) writeFileSync(`/proc/${pid}/autogroup`, '19');
  for (let i = 0; i < HOGS; i++) {
    hogs.push(spawn('taskset', ['-c', cpu, 'sh', '-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' }));
  }
}
