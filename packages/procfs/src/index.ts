/**
 * Process bookkeeping on Linux through /proc, shared by the supervisor and the worker: which processes a supervisor owns, whether a pid is still the
 * process we think it is, and killing whole process groups. Zombies are ignored everywhere: on machines whose
 * PID 1 does not reap, a dead orphan lingers as <defunct> but holds nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Put in every worker's environment, and so inherited by everything a worker starts (its browser). */
export const OWNER_ENV = 'WSM_OWNER';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot: with the pid, it identifies a process across pid reuse. */
  startTime: number;
}

/**
 * /proc/<pid>/stat, or with `tid` the stat of one thread of the process (/proc/<pid>/task/<tid>/stat: its own state,
 * the process's ids); undefined once it is gone.
 */
export function readProcStat(pid: number, tid = pid): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(tid === pid ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    startTime: Number(fields[19]),
  };
}

/** The ids of a process's threads (its main thread's is its pid); empty once it is gone. */
export function threadIdsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** True while the process exists and is not a zombie. */
export function isLive(pid: number): boolean {
  return readLiveProcStat(pid) !== undefined;
}

/** The ids of the processes now on the machine. */
export function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** The environment of a process, as NAME=value entries (empty if it is gone or not ours to read). */
export function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return [];
  }
}

/** The process, if it is live, not this one, and its environment (NAME=value entries) carries every one of `entries`. */
function markedProcess(pid: number, environment: readonly string[], entries: readonly string[]): ProcStat | undefined {
  if (pid === process.pid || !entries.every((entry) => environment.includes(entry))) return undefined;
  return readLiveProcStat(pid);
}

/** Live processes (other than this one) whose environment carries every one of `entries` (NAME=value). */
export function findProcessesWithEnv(entries: readonly string[]): ProcStat[] {
  return listPids().flatMap((pid) => markedProcess(pid, environOf(pid), entries) ?? []);
}

/** Live processes whose environment carries `WSM_OWNER=<owner>`: the workers and browsers of one data dir. */
export function findOwnedProcesses(owner: string): ProcStat[] {
  return findProcessesWithEnv([`${OWNER_ENV}=${owner}`]);
}

/** The environment variable that names the session a worker (and everything it starts) belongs to. */
export const SESSION_ENV = 'WSM_SESSION_ID';

/**
 * What the supervisor reads of other processes while it serves requests, without holding its thread. Reading a
 * process's `smaps_rollup` takes that process's memory-map lock: a browser starting up (mapping and unmapping
 * memory) on a machine short of CPU can keep a reader waiting for seconds, and a synchronous read waits on the
 * event loop (measured: 41.6 s of 168 with 10 webjs sessions starting, GET p99 over 4 s). These go through
 * libuv's thread pool one file at a time, so at most one of its threads waits on such a lock.
 */
async function readProcFile(pid: number, name: string, encoding: BufferEncoding): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/${name}`, encoding);
  } catch {
    return undefined;
  }
}

/**
 * SIGKILLs every process of one session of one owner, found by the marks they inherited: this reaches
 * helpers that left the browser's process group (Chromium's crashpad handlers daemonize). Synchronous on
 * purpose: done in the same turn as the worker's exit, before anything can start the session's next browser.
 * Tried asynchronous (through the thread pool, like the memory reads): under CPU load the dead browser's temp
 * directory was then still there once the restarted session was ready (webjs-e2e, 3 runs of 3 with 4 CPU
 * burners; 3 of 3 passed with this). Why is not found yet; until it is, the exit sweep stays synchronous.
 */
export function killSessionProcesses(owner: string, sessionId: string): ProcStat[] {
  const marked = findProcessesWithEnv([`${OWNER_ENV}=${owner}`, `${SESSION_ENV}=${sessionId}`]);
  for (const stat of marked) signalProcess(stat.pid, 'SIGKILL');
  return marked;
}

/** Sends a signal to a whole process group; false when it had no process left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * SIGKILLs every process group that holds a process owned by `owner`, and every such process.
 * A SIGSTOPped worker or a browser whose worker died both go: SIGKILL needs no cooperation.
 */
export function killOwnedProcesses(owner: string): ProcStat[] {
  const owned = findOwnedProcesses(owner);
  const ownGroup = readProcStat(process.pid)?.pgid;
  for (const pgid of new Set(owned.map((stat) => stat.pgid))) {
    if (pgid !== ownGroup) signalGroup(pgid, 'SIGKILL');
  }
  for (const stat of owned) signalProcess(stat.pid, 'SIGKILL');
  return owned;
}

/** The process, if it is live (not gone, not a zombie). */
export function readLiveProcStat(pid: number): ProcStat | undefined {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' ? stat : undefined;
}


export interface MemoryUse {
  /** Proportional set size: shared pages divided among their users, so a tree's PSS adds up honestly. */
  pssBytes: number;
  rssBytes: number;
}

/** PSS and RSS from a process's smaps_rollup (kernel ≥ 4.14). */
function memoryUse(text: string): MemoryUse {
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { pssBytes: kb('Pss'), rssBytes: kb('Rss') };
}

/** Sum of the memory of every live process in the given process groups, read without blocking the event loop. */
export async function groupMemory(processes: readonly ProcStat[], pgids: ReadonlySet<number>): Promise<MemoryUse & { processes: number }> {
  const total = { pssBytes: 0, rssBytes: 0, processes: 0 };
  for (const stat of processes) {
    if (!pgids.has(stat.pgid)) continue;
    const text = await readProcFile(stat.pid, 'smaps_rollup', 'utf8');
    if (text === undefined) continue;
    const use = memoryUse(text);
    total.pssBytes += use.pssBytes;
    total.rssBytes += use.rssBytes;
    total.processes += 1;
  }
  return total;
}

/** MemAvailable from /proc/meminfo: what the kernel can give without swapping. */
export function availableMemoryBytes(): number | undefined {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The command line of a process as its arguments (empty if it is gone or unreadable). */
export function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
  } catch {
    return [];
  }
}

export interface SchedStat {
  /** Time on a CPU, ns. Brought up to date when the thread leaves the CPU and at scheduler ticks. */
  runNs: number;
  /**
   * Time runnable but waiting for a CPU (run-queue delay), ns: a starved thread collects it, a stopped or blocked one
   * does not. A wait is added when it ends, when the thread gets a CPU: one still under way does not show yet.
   */
  waitNs: number;
  /** How many times the thread got a CPU. */
  timeslices: number;
}

/**
 * Scheduler figures of one thread of a process from /proc/<pid>/task/<tid>/schedstat, by default its main thread
 * (for Node, the thread of the event loop); undefined when it is gone or the kernel keeps no such figures (without
 * CONFIG_SCHED_INFO it shows zeros).
 */
export function readSchedStat(pid: number, tid = pid): SchedStat | undefined {
  let text: string;
  try {
    text = readFileSync(tid === pid ? `/proc/${pid}/schedstat` : `/proc/${pid}/task/${tid}/schedstat`, 'utf8');
  } catch {
    return undefined;
  }
  const [runNs = NaN, waitNs = NaN, timeslices = NaN] = text.trim().split(' ').map(Number);
  // A thread that exists has had a CPU at least once: all zeros means the kernel does not count.
  if (![runNs, waitNs, timeslices].every(Number.isFinite) || timeslices === 0) return undefined;
  return { runNs, waitNs, timeslices };
}

/**
 * The kernel's cumulative CPU-pressure stall from /proc/pressure/cpu (PSI, Linux 4.20+): microseconds during which
 * at least one runnable task waited for a CPU (`some ... total=`). Undefined where PSI is absent or switched off.
 */
export function readCpuStallUs(): number | undefined {
  try {
    const match = /^some .*\btotal=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuTimes {
  /** Idle and I/O-wait ticks of all CPUs together. */
  idle: number;
  /** Every tick of all CPUs together. */
  total: number;
}

/** The machine's cumulative CPU ticks from the first line of /proc/stat: the fallback where PSI is missing. */
export function readCpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (!line.startsWith('cpu ') || fields.length < 5 || fields.some((value) => !Number.isFinite(value))) return undefined;
    const [, , , idle = 0, iowait = 0] = fields;
    return { idle: idle + iowait, total: fields.reduce((sum, value) => sum + value, 0) };
  } catch {
    return undefined;
  }
}
