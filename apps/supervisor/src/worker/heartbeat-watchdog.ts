/**
 * Watches one worker's silence and says when it is hung (hang-policy.ts decides). It measures what the policy
 * needs over the silence since the worker's last message: the supervisor's own stall (loop-stall-meter.ts) and
 * the time the worker's event-loop thread waited for a CPU (/proc/<pid>/schedstat and state, run-queue-wait.ts).
 *
 * It looks every tenth of the timeout (two small /proc reads): a thread starved right now shows its wait only
 * when it gets a CPU, so only looks close together can see it waiting. Each look waits one more turn of the event
 * loop (`setImmediate`): messages already in the IPC pipe (a supervisor that was just paused finds them there) are
 * read first.
 */
import { readProcStat, readSchedStat } from '@wsm/procfs';
import { decideHang, type HangExcuse, type HangPolicy, type SilenceFacts } from './hang-policy.js';
import { loopStalls, type LoopStallMeter } from './loop-stall-meter.js';
import { waitedMs, type ThreadLook } from './run-queue-wait.js';

/** What the watchdog saw of a silence: for the log. */
export interface SilenceReport extends SilenceFacts {
  countedMs: number;
  /** CPU time the worker's event-loop thread got during the silence: a busy loop runs, a stopped worker does not. */
  workerRunMs: number;
  /** The worker's process state at the last look (R running or runnable, S sleeping, D in I/O, T stopped). */
  workerState: string | undefined;
}

export interface WatchdogOptions {
  pid: number | undefined;
  policy: HangPolicy;
  onHung(report: SilenceReport & { reason: 'silent' | 'starved-too-long' }): void;
  /** Once per silence that outlasts the timeout without being a hang. */
  onReprieve(excuse: HangExcuse, report: SilenceReport): void;
  stalls?: LoopStallMeter;
  look?: (pid: number) => ThreadLook | undefined;
}

interface Look {
  at: number;
  thread: ThreadLook | undefined;
}

/** The worker's main thread as the kernel sees it now; undefined once it is gone or unreadable. */
export function lookAtThread(pid: number): ThreadLook | undefined {
  const sched = readSchedStat(pid);
  const state = readProcStat(pid)?.state;
  return sched === undefined || state === undefined ? undefined : { ...sched, state };
}

export class HeartbeatWatchdog {
  readonly #options: WatchdogOptions;
  readonly #stalls: LoopStallMeter;
  readonly #look: (pid: number) => ThreadLook | undefined;
  readonly #stepMs: number;
  #heardAt = 0;
  #stalledAtHeard = 0;
  #waitedMs = 0;
  #ranMs = 0;
  #reprieved = false;
  #last: Look = { at: 0, thread: undefined };
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #running = false;

  constructor(options: WatchdogOptions) {
    this.#options = options;
    this.#stalls = options.stalls ?? loopStalls;
    this.#look = options.look ?? lookAtThread;
    this.#stepMs = Math.max(25, options.policy.timeoutMs / 10);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stalls.acquire();
    this.heard();
    this.#last = this.#lookNow();
    this.#timer = setInterval(() => {
      this.#immediate ??= setImmediate(() => {
        this.#immediate = undefined;
        this.#step();
      });
    }, this.#stepMs);
  }

  /** A message from the worker: its silence starts over. Cheap: no /proc read here, messages can come in floods. */
  heard(): void {
    const at = performance.now();
    this.#heardAt = at;
    this.#stalledAtHeard = this.#stalls.stalledMs(at);
    this.#waitedMs = 0;
    this.#ranMs = 0;
    this.#reprieved = false;
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#stalls.release();
  }

  #lookNow(): Look {
    const { pid } = this.#options;
    return { at: performance.now(), thread: pid === undefined ? undefined : this.#look(pid) };
  }

  #step(): void {
    if (!this.#running) return;
    const now = this.#lookNow();
    const before = this.#last;
    this.#last = now;
    // The first step of a silence counts from the message, not from the look before it.
    const spanMs = now.at - Math.max(before.at, this.#heardAt);
    this.#waitedMs += waitedMs(before.thread, now.thread, spanMs);
    if (before.thread !== undefined && now.thread !== undefined) {
      this.#ranMs += Math.min(spanMs, Math.max(0, now.thread.runNs - before.thread.runNs) / 1e6);
    }
    const facts: SilenceFacts = {
      silentMs: now.at - this.#heardAt,
      supervisorStalledMs: this.#stalls.stalledMs(now.at) - this.#stalledAtHeard,
      workerWaitingMs: this.#waitedMs,
    };
    const decision = decideHang(this.#options.policy, facts);
    const report = (): SilenceReport => ({
      silentMs: Math.round(facts.silentMs),
      supervisorStalledMs: Math.round(facts.supervisorStalledMs),
      workerWaitingMs: Math.round(facts.workerWaitingMs),
      countedMs: Math.round(decision.countedMs),
      workerRunMs: Math.round(this.#ranMs),
      workerState: now.thread?.state,
    });
    if (decision.verdict === 'hung') {
      this.stop();
      this.#options.onHung({ ...report(), reason: decision.reason });
      return;
    }
    if (decision.excuse !== undefined && !this.#reprieved) {
      this.#reprieved = true;
      this.#options.onReprieve(decision.excuse, report());
    }
  }
}
