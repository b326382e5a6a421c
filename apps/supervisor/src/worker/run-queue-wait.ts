/**
 * How long a worker's event-loop thread waited for a CPU between two looks at it. Pure: the watchdog reads
 * /proc, this interprets; tested without processes.
 *
 * The kernel adds a wait to /proc/<pid>/schedstat only when it ends, when the thread gets a CPU: a thread starved
 * right now shows none of it yet. One that was runnable (`R`) at both looks and got no CPU in between (no new
 * timeslice, no run time) waited all along. When that wait ends it shows up in full, already counted: so no span
 * is credited more wait than its length.
 * Run time of a thread on a CPU is brought up to date at scheduler ticks: on a tickless (nohz_full) CPU a busy
 * loop could pass for starved, and is then judged at the starved limit instead of the timeout.
 */
import type { SchedStat } from '@wsm/procfs';

export interface ThreadLook extends SchedStat {
  /** Process state from /proc/<pid>/stat: R running or runnable, S sleeping, D in I/O, T stopped. */
  state: string;
}

export function waitedMs(before: ThreadLook | undefined, after: ThreadLook | undefined, spanMs: number): number {
  if (before === undefined || after === undefined || spanMs <= 0) return 0;
  const starvedThroughout =
    before.state === 'R' && after.state === 'R' && after.timeslices === before.timeslices && after.runNs === before.runNs;
  if (starvedThroughout) return spanMs;
  return Math.min(spanMs, Math.max(0, after.waitNs - before.waitNs) / 1e6);
}
