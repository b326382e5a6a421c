import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { OWNER_ENV, findOwnedProcesses, isLive, killOwnedProcesses, readProcStat, readSchedStat, signalGroup, threadIdsOf } from '../src/index.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.pid) signalGroup(child.pid, 'SIGKILL');
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function spawnTree(script: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

describe('procfs', () => {
  it('reads a process identity: its group and a start time that tells pid reuse apart', () => {
    const self = readProcStat(process.pid)!;
    expect(self.pid).toBe(process.pid);
    expect(self.state).toMatch(/[RS]/);
    expect(self.startTime).toBeGreaterThan(0);
    expect(readProcStat(2 ** 22 + 1)).toBeUndefined();
  });

  it('does not count a zombie as live', async () => {
    // `exec sleep` replaces the shell, so its finished background child is never reaped: a zombie.
    const parent = spawnTree('sleep 0.05 & exec sleep 30');
    let zombie: number | undefined;
    await until(() => {
      const line = execSync(`ps -o pid=,stat= --ppid ${parent.pid}`, { encoding: 'utf8' }).trim();
      const match = /^(\d+)\s+Z/.exec(line);
      zombie = match ? Number(match[1]) : undefined;
      return zombie !== undefined;
    });
    expect(readProcStat(zombie!)?.state).toBe('Z');
    expect(isLive(zombie!)).toBe(false);
    expect(isLive(parent.pid!)).toBe(true);
  });

  it('finds every process carrying an owner mark, children included, and kills their groups', async () => {
    const owner = `/tmp/wsm-procfs-${process.pid}`;
    const tree = spawnTree('sleep 30 & sleep 30 & wait', { [OWNER_ENV]: owner });
    const other = spawnTree('sleep 30', { [OWNER_ENV]: `${owner}-other` });
    await until(() => findOwnedProcesses(owner).length === 3);
    const owned = findOwnedProcesses(owner);
    expect(owned.map((stat) => stat.pgid)).toEqual([tree.pid, tree.pid, tree.pid]);

    const killed = killOwnedProcesses(owner);
    expect(killed).toHaveLength(3);
    await until(() => owned.every((stat) => !isLive(stat.pid)));
    expect(findOwnedProcesses(owner)).toEqual([]);
    expect(isLive(other.pid!)).toBe(true);
  });

  it('reads run and run-queue wait time of a main thread: a stopped process collects neither', async () => {
    const self = readSchedStat(process.pid)!;
    expect(self.runNs).toBeGreaterThan(0);
    expect(self.waitNs).toBeGreaterThanOrEqual(0);
    expect(self.timeslices).toBeGreaterThan(0);
    expect(readSchedStat(2 ** 22 + 1)).toBeUndefined();

    const busy = spawnTree('while :; do :; done');
    await until(() => readSchedStat(busy.pid!)!.runNs > 20e6);
    process.kill(busy.pid!, 'SIGSTOP');
    await until(() => readProcStat(busy.pid!)?.state === 'T');
    const stopped = readSchedStat(busy.pid!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readSchedStat(busy.pid!)).toEqual(stopped);
  });

  it("reads each thread of a process: its ids, states and run time, a busy thread's apart from its sleeping main thread", async () => {
    const script = "const { Worker } = require('node:worker_threads'); new Worker('for (;;) {}', { eval: true }); setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      const busyThread = () =>
        threadIdsOf(child.pid!).find((tid) => tid !== child.pid && (readSchedStat(child.pid!, tid)?.runNs ?? 0) > 300e6);
      await until(() => busyThread() !== undefined);
      const tids = threadIdsOf(child.pid!);
      expect(tids).toContain(child.pid);
      expect(tids.length).toBeGreaterThan(2);
      const tid = busyThread()!;
      expect(readProcStat(child.pid!, tid)?.state).toBe('R');
      expect(readProcStat(child.pid!, child.pid!)?.state).toBe('S');
      // The busy thread's run time is its own: the main thread sleeps.
      expect(readSchedStat(child.pid!, tid)!.runNs).toBeGreaterThan(readSchedStat(child.pid!)!.runNs);
    } finally {
      child.kill('SIGKILL');
    }
    expect(threadIdsOf(2 ** 22 + 1)).toEqual([]);
    expect(readProcStat(2 ** 22 + 1, 2 ** 22 + 1)).toBeUndefined();
  });

  it('reports a group that has no process left', () => {
    expect(signalGroup(2 ** 22 + 1, 'SIGTERM')).toBe(false);
    expect(signalGroup(1, 'SIGTERM')).toBe(false);
  });
});
