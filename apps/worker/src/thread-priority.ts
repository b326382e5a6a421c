/**
 * The niceness the supervisor asks of a worker (WORKER_NICE, passed as WSM_WORKER_NICE), applied where the
 * kernel looks for it:
 * - to every thread of the worker: on Linux a nice value belongs to a thread, and the threads Node started
 *   before this code ran (V8's, libuv's) would keep the old one. Threads started later and the browser the
 *   worker launches inherit it.
 * - to the worker's autogroup: the worker leads a session of its own (it is forked detached), and with
 *   sched_autogroup on (the default of most distributions' kernels) the scheduler first shares the CPUs fairly
 *   between sessions, and only then between the threads of each. Every session then weighed as much as the
 *   supervisor: measured with 30 webjs sessions launching at once on 2 cores, the supervisor's main thread waited
 *   100-1,100 ms per second for a CPU while it ran 50-90 ms, and renicing every thread of the sessions changed
 *   nothing. The autogroup's own nice value is what lowers a session's weight.
 * A value can only be raised without privileges; writes of an autogroup's nice are rate-limited to one per
 * 100 ms for the whole machine without CAP_SYS_ADMIN, so a burst of workers retries a few times.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { WORKER_NICE_ENV } from '@wsm/ipc-protocol/runtime';

const AUTOGROUP_FILE = '/proc/self/autogroup';
const AUTOGROUP_TRIES = 30;

/** Returns what was asked (undefined when nothing was), or throws why it cannot be applied. */
export function applyRequestedNice(env: NodeJS.ProcessEnv = process.env, onAutogroupFailure: (error: unknown) => void = () => {}): number | undefined {
  const raw = env[WORKER_NICE_ENV];
  if (raw === undefined || raw === '') return undefined;
  const nice = Number(raw);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`${WORKER_NICE_ENV} must be an integer from 0 to 19, not ${JSON.stringify(raw)}`);
  if (nice === 0) return 0;
  // The main thread first: threads it starts meanwhile inherit the value.
  if (getPriority() < nice) setPriority(nice);
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (getPriority(Number(tid)) < nice) setPriority(Number(tid), nice);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  setAutogroupNice(nice, AUTOGROUP_TRIES, onAutogroupFailure);
  return nice;
}

function setAutogroupNice(nice: number, triesLeft: number, onFailure: (error: unknown) => void): void {
  try {
    writeFileSync(AUTOGROUP_FILE, String(nice));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No autogroups in this kernel (or no /proc): thread nice values are all there is.
    if (code === 'ENOENT') return;
    if (code === 'EAGAIN' && triesLeft > 1) {
      setTimeout(() => setAutogroupNice(nice, triesLeft - 1, onFailure), 100 + Math.random() * 400).unref();
      return;
    }
    onFailure(error);
  }
}
