/**
 * Whether one more worker may begin launching now, as a pure decision (launch-queue.ts measures and asks). A
 * launch (fork, Node start-up, for webjs Chromium and the page load) is the most CPU-hungry moment of a session:
 * a burst of them on a small machine starved every worker until the watchdog and the stage deadlines killed them
 * (100 webjs sessions at once: load average above 200, 79 workers killed as hung, 17 sessions failed).
 *
 * - One launch is always allowed when none is under way, whatever the machine looks like: progress is guaranteed.
 * - Never more than `maxLaunches` (LAUNCH_CONCURRENCY) at once.
 * - Not while memory, after the footprint of this launch and of those under way, would fall below `minFreeBytes`.
 * - Not while the CPUs are saturated: PSI's `some` stall above `maxCpuStall` of the last window, or, without PSI,
 *   less than `minIdleCpus` CPUs' worth of idle time. With no window measured yet, wait for one. This holds only for
 *   engines whose launch takes more CPU than `minPacedCpuMs`: a cheaper one is over before a window could show it,
 *   and pacing simulated workers by the pressure of a burst made a restore of 200 of them serial (38.9 s, against
 *   25 s four at a time).
 */
import type { EngineName } from '@wsm/ipc-protocol';

export interface LaunchPolicy {
  maxLaunches: number;
  /** 0..1 of the window with a task waiting for a CPU, above which no further launch begins. */
  maxCpuStall: number;
  /** Idle CPUs (from /proc/stat) a further launch needs, where PSI is missing. */
  minIdleCpus: number;
  /** MIN_FREE_MEMORY_MB: memory that must stay available. */
  minFreeBytes: number;
  /** Launches that take less CPU than this are not paced by CPU load. */
  minPacedCpuMs: number;
}

/** The queue samples the CPU every 250 ms: a launch cheaper than one window is not paced by it. */
export const DEFAULT_CPU_LIMITS = { maxCpuStall: 0.5, minIdleCpus: 0.5, minPacedCpuMs: 250 } as const;

/**
 * CPU time one launch of each engine takes until it is up: a simulated worker's Node start and QR (~50 ms of
 * CPU, bench §1), a webjs session's Chromium and page until `ready` (2.8 s of CPU, bench/benchmarks/webjs-flags.mjs).
 */
export const ENGINE_LAUNCH_CPU_MS: Readonly<Record<EngineName, number>> = { simulated: 80, webjs: 2800 };

export interface LaunchFacts {
  /** Launches under way (forked, not yet past `starting`). */
  launching: number;
  cpuCount: number;
  /** The last window's CPU load; undefined when no window has been measured yet. */
  load: { stall: number | undefined; idle: number | undefined } | undefined;
  /** MemAvailable, when the platform tells it. */
  availableBytes: number | undefined;
  /** The expected footprint of a session of the next launch's engine (admission-policy.ts). */
  footprintBytes: number;
  /** The CPU the next launch's engine takes to launch (ENGINE_LAUNCH_CPU_MS). */
  launchCpuMs: number;
}

export type LaunchWait = 'at-limit' | 'memory' | 'cpu-busy' | 'measuring';
export type LaunchDecision = { launch: true } | { launch: false; reason: LaunchWait };

export function decideLaunch(policy: LaunchPolicy, facts: LaunchFacts): LaunchDecision {
  if (facts.launching === 0) return { launch: true };
  if (facts.launching >= policy.maxLaunches) return { launch: false, reason: 'at-limit' };
  // Launches under way have not grown to their footprint yet: count theirs too.
  const available = facts.availableBytes;
  if (available !== undefined && available - facts.footprintBytes * (facts.launching + 1) < policy.minFreeBytes) {
    return { launch: false, reason: 'memory' };
  }
  if (facts.launchCpuMs < policy.minPacedCpuMs) return { launch: true };
  const load = facts.load;
  if (load === undefined) return { launch: false, reason: 'measuring' };
  if (load.stall !== undefined) return load.stall > policy.maxCpuStall ? { launch: false, reason: 'cpu-busy' } : { launch: true };
  if (load.idle !== undefined && load.idle * facts.cpuCount < policy.minIdleCpus) return { launch: false, reason: 'cpu-busy' };
  return { launch: true };
}
