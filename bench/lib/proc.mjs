/**
 * Memory of processes and process groups from /proc (Linux): RSS, and PSS from smaps_rollup; RSS over time
 * (VmRSS sampled, and VmHWM, the kernel's own peak, which can be reset).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { delay } from './delay.mjs';

const kbField = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;

/**
 * RSS and PSS of one process in MB, and the anonymous part of its PSS (heap, stacks, shared memory: what other
 * programs mapping the same files do not change); undefined when it is gone.
 */
export function memoryOf(pid) {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rssMb: kbField(rollup, 'Rss'), pssMb: kbField(rollup, 'Pss'), anonPssMb: kbField(rollup, 'Pss_Anon') + kbField(rollup, 'Pss_Shmem') };
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM (its peak since the start or the last resetPeakRss) of a process, in MB, from /proc/<pid>/status. */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMb: kbField(status, 'VmRSS'), peakMb: kbField(status, 'VmHWM') };
}

/** Sets a process's VmHWM back to its RSS now (5 written to /proc/<pid>/clear_refs; Linux 4.0 and later). */
export function resetPeakRss(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/**
 * Reads a process's VmRSS every `everyMs` until stopped; `stop()` answers the samples, { at (performance.now()),
 * rssMb }. A timer of this process: it reads on time only while this event loop is free.
 */
export function sampleRss(pid, everyMs) {
  const samples = [];
  const read = () => samples.push({ at: performance.now(), rssMb: rssOf(pid).rssMb });
  read();
  const timer = setInterval(read, everyMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return samples;
    },
  };
}

/** The process group of a pid (field 5 of /proc/<pid>/stat, counted after the command name). */
export function pgidOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : Number(fields[2]);
  } catch {
    return undefined;
  }
}

/** Sum of RSS, PSS and anonymous PSS over every live process of the given process groups. */
export function groupMemory(pgids) {
  const groups = new Set(pgids);
  const total = { rssMb: 0, pssMb: 0, anonPssMb: 0, processes: 0 };
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pgid = pgidOf(Number(name));
    if (pgid === undefined || !groups.has(pgid)) continue;
    const use = memoryOf(Number(name));
    if (use === undefined) continue;
    total.rssMb += use.rssMb;
    total.pssMb += use.pssMb;
    total.anonPssMb += use.anonPssMb;
    total.processes += 1;
  }
  return total;
}

/**
 * Every live process of this machine once: pid → { ppid, pgid } (zombies left out: PID 1 here does not reap
 * them, and they hold no memory).
 */
export function liveProcesses() {
  const found = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') found.set(Number(name), { ppid: Number(fields[1]), pgid: Number(fields[2]) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** `root` and every live process descending from it (by parent pid), from a liveProcesses() snapshot. */
export function treeOf(root, processes = liveProcesses()) {
  const children = new Map();
  for (const [pid, { ppid }] of processes) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree = [];
  const stack = processes.has(root) ? [root] : [];
  while (stack.length > 0) {
    const pid = stack.pop();
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** RSS and PSS of each of `pids`, summed by process group in one pass: pgid → { rssMb, pssMb, processes }. */
export function memoryByGroup(pids, processes = liveProcesses()) {
  const groups = new Map();
  for (const pid of pids) {
    const pgid = processes.get(pid)?.pgid;
    const use = pgid === undefined ? undefined : memoryOf(pid);
    if (use === undefined) continue;
    const total = groups.get(pgid) ?? { rssMb: 0, pssMb: 0, processes: 0 };
    total.rssMb += use.rssMb;
    total.pssMb += use.pssMb;
    total.processes += 1;
    groups.set(pgid, total);
  }
  return groups;
}

/**
 * Resolves with how long (ms) until none of `pids` is alive (zombies count as gone), or undefined with those
 * still alive after `timeoutMs`. Watches without holding anything up: the restart goes on meanwhile.
 */
export async function waitGone(pids, timeoutMs = 60_000) {
  const began = performance.now();
  for (;;) {
    const alive = pids.filter((pid) => pgidOf(pid) !== undefined);
    if (alive.length === 0) return { goneMs: performance.now() - began };
    if (performance.now() - began > timeoutMs) return { alive: alive.length };
    await delay(250);
  }
}

/** Live processes whose environment holds `entry` (NAME=value): e.g. a supervisor's workers by their owner mark. */
export function pidsWithEnv(entry) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat fields 14 and 15, at 100 ticks/s). */
export function cpuTimeMs(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / TICKS_PER_SECOND);
}

/** CPU time of every live process of a process group, in ms (a browser's tree: what exited meanwhile is not counted). */
export function groupCpuTimeMs(pgid) {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || pgidOf(Number(name)) !== pgid) continue;
    try {
      total += cpuTimeMs(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * CPU time of a server and its direct children (PostgreSQL's postmaster and its backends), in ms: the live
 * children's own time, and what the ones already reaped had used (the root's cutime and cstime).
 */
export function treeCpuTimeMs(rootPid) {
  const stat = (pid) => {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  };
  const root = stat(rootPid);
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = stat(name);
      if (Number(fields[1]) === rootPid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks * (1000 / TICKS_PER_SECOND);
}

// USER_HZ is 100 on every Linux architecture Node ships for (getconf CLK_TCK).
const TICKS_PER_SECOND = 100;
