/**
 * How long a worker's event-loop thread waited for a CPU between two looks at it. Pure: the watchdog reads
 * /proc, this interprets; tested without processes.
 *
 * The kernel adds a wait to /proc/<pid>/schedstat only when it ends, when the thread gets a CPU: a thread starved
 * right now shows none of it yet. One that was runnable (`R`) at both looks and got no CPU in between (no new
 * timeslice, no run time) waited all along. When that wait ends it shows up in full, already partly counted.
 * `waitedMs` (one look to the next, for threads looked at now and then) credits no span more than its length;
 * the event loop's own wait is followed from look to look (`workerWaitedMs`, carrying what is already credited),
 * so that the head of a wait, in the span it began, is not lost: it is credited once the wait ends. Measured
 * before: a worker loading its engine in slices of a small share lost ~40% of its waits that way, and was
 * judged silent with 4.5 s of a 5.5 s silence spent waiting.
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
  if (starvedThroughout(before, after)) return spanMs;
  return Math.min(spanMs, Math.max(0, after.waitNs - before.waitNs) / 1e6);
}

/**
 * A look at a whole worker: its event-loop thread always, its other threads (libuv's pool, V8's compilers and
 * GC helpers) only while a silence lasts, when their waits can explain it.
 */
export interface WorkerLook {
  main: ThreadLook;
  others: ReadonlyMap<number, ThreadLook> | undefined;
}

export interface SpanWait {
  /**
   * How long the worker was held back waiting for a CPU, credited in this span: its part of the span, and the
   * head of a wait of the event loop that began in an earlier span and ended in this one.
   */
  waitedMs: number;
  /** CPU time its event-loop thread got in the span. */
  ranMs: number;
  /** The whole span was waiting: nothing of the worker could run. */
  frozen: boolean;
  /** What is credited so far of the event loop's wait still under way (pass it to the next look's call). */
  carriedMs: number;
}

const starvedThroughout = (before: ThreadLook, after: ThreadLook): boolean =>
  before.state === 'R' && after.state === 'R' && after.timeslices === before.timeslices && after.runNs === before.runNs;

/**
 * What a span of silence owes to waits for a CPU. The event loop's own wait counts; so does another thread's
 * wait while the event loop did not run: an event loop asleep on a module file read by libuv's pool, or on a
 * compile by one of V8's threads, waits as long as that thread waits for a CPU (measured: a worker loading its
 * engine at nice 10 beside CPU burners ran 556 ms and waited 5.2 s on its main thread, and slept the rest).
 * Time the event loop ran is never excused, and the longest wait of one thread, not their sum, is taken: no span
 * is credited more than its length, and a busy loop is still judged on the time it ran.
 */
export function workerWaitedMs(before: WorkerLook | undefined, after: WorkerLook | undefined, spanMs: number, carriedMs = 0): SpanWait {
  if (before === undefined || after === undefined || spanMs <= 0) return { waitedMs: 0, ranMs: 0, frozen: false, carriedMs: 0 };
  const ranMs = Math.min(spanMs, Math.max(0, after.main.runNs - before.main.runNs) / 1e6);
  // The event loop's own wait: under way all along (credited now, carried), or ended in this span (its
  // whole length shows now; what earlier looks credited of it is not credited twice).
  let mainMs: number;
  let carried: number;
  if (starvedThroughout(before.main, after.main)) {
    mainMs = spanMs;
    carried = carriedMs + spanMs;
  } else {
    mainMs = Math.max(0, (after.main.waitNs - before.main.waitNs) / 1e6 - carriedMs);
    carried = 0;
  }
  let othersMs = 0;
  if (before.others !== undefined && after.others !== undefined) {
    for (const [tid, look] of after.others) othersMs = Math.max(othersMs, waitedMs(before.others.get(tid), look, spanMs));
  }
  const waited = Math.max(mainMs, Math.min(othersMs, spanMs - ranMs));
  const frozen = carried > 0 || (ranMs === 0 && othersMs >= spanMs);
  return { waitedMs: waited, ranMs, frozen, carriedMs: carried };
}
