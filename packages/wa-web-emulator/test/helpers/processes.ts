/**
 * Live processes of a process group, from /proc. Puppeteer starts Chromium as a group leader, so its group
 * holds every Chromium process of one client. Zombies do not count: PID 1 here does not reap orphans.
 */
import { readdirSync, readFileSync } from 'node:fs';

const POLL_MS = 50;

function groupOf(pid: number): { pgid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after "(comm)": state ppid pgrp ...; comm may itself contain spaces and parentheses
    const [state = '', , pgid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pgid: Number(pgid), state };
  } catch {
    return undefined;
  }
}

export function liveProcessesInGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const info = groupOf(pid);
      return info !== undefined && info.pgid === pgid && info.state !== 'Z' && info.state !== 'X';
    });
}

/** Waits for the group to have no live process; the processes still alive at the deadline otherwise. */
export async function waitForGroupExit(pgid: number, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  // no event tells us when processes that are not our children exit: /proc is polled
  for (;;) {
    const live = liveProcessesInGroup(pgid);
    if (live.length === 0 || Date.now() > deadline) return live;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
