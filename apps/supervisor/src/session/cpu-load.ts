/**
 * How busy the machine's CPUs were over a short window, from two samples: the share of the window in which some
 * runnable task waited for a CPU (PSI, /proc/pressure/cpu), and, where PSI is missing, the share of CPU time that
 * was idle (/proc/stat). Reading is here; `cpuLoadBetween` is pure arithmetic, tested without processes.
 */
import { readCpuStallUs, readCpuTimes, type CpuTimes } from '@wsm/procfs';

export interface CpuSample {
  /** Monotonic ms (performance.now()). */
  atMs: number;
  /** PSI `some total`, µs; undefined without PSI. */
  stallUs: number | undefined;
  times: CpuTimes | undefined;
}

export interface CpuLoad {
  /** 0..1: share of the window in which at least one runnable task waited for a CPU; undefined without PSI. */
  stall: number | undefined;
  /** 0..1: share of all CPUs' time that was idle; undefined when /proc/stat is unreadable. */
  idle: number | undefined;
}

export function sampleCpu(): CpuSample {
  return { atMs: performance.now(), stallUs: readCpuStallUs(), times: readCpuTimes() };
}

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

export function cpuLoadBetween(before: CpuSample, after: CpuSample): CpuLoad {
  const spanMs = after.atMs - before.atMs;
  const stall =
    before.stallUs === undefined || after.stallUs === undefined || spanMs <= 0
      ? undefined
      : clamp01((after.stallUs - before.stallUs) / 1000 / spanMs);
  const ticks = before.times === undefined || after.times === undefined ? 0 : after.times.total - before.times.total;
  // Fewer than a few ticks (10 ms each) say nothing: too short a window.
  const idle = ticks < 5 ? undefined : clamp01((after.times!.idle - before.times!.idle) / ticks);
  return { stall, idle };
}
