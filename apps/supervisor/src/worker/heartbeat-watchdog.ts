/**
 * Watches one worker's silence and says when it is hung (hang-policy.ts decides). It measures what the policy
 * needs over the silence since the worker's last message: the supervisor's own stall (loop-stall-meter.ts) and
 * the time the worker waited for a CPU (/proc/<pid>/task/<tid>/schedstat and state, run-queue-wait.ts).
 *
 * It looks every tenth of the timeout: a thread starved right now shows its wait only when it gets a CPU, so only
 * looks close together can see it waiting. A look reads the event-loop thread (two small /proc reads); once a
 * silence has outlasted a few heartbeat intervals and while the event loop sleeps, every other thread of the
 * worker too (a dozen for Node, listed once per silence), whose waits matter only then: healthy workers cost no
 * more than before. Each look waits one more turn of the event loop (`setImmediate`): messages already in the
 * IPC pipe (a supervisor that was just paused finds them there) are read first.
 */
import { readProcStat, readSchedStat, threadIdsOf } from '@wsm/procfs';
import { decideHang, type HangExcuse, type HangPolicy, type SilenceFacts } from './hang-policy.js';
import { loopStalls, type LoopStallMeter } from './loop-stall-meter.js';
import { workerWaitedMs, type ThreadLook, type WorkerLook } from './run-queue-wait.js';

/** What the watchdog saw of a silence: for the log. */
export interface SilenceReport extends SilenceFacts {
  countedMs: number;
  /** CPU time the worker's event-loop thread got during the silence: a busy loop runs, a stopped worker does not. */
  workerRunMs: number;
  /** How many of the worker's threads the last look saw (1 until a silence lasts). */
  workerThreads: number;
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
  /** Looks at the worker: its event-loop thread, and the other threads of `tids` when given. */
  look?: (pid: number, tids: readonly number[] | undefined) => WorkerLook | undefined;
  /** The worker's thread ids (read once per silence). */
  threads?: (pid: number) => number[];
}

interface Look {
  at: number;
  worker: WorkerLook | undefined;
}

/**
 * Threads other than the event loop's are looked at once a silence is this share of the timeout (heartbeats come
 * every quarter), and only while the event loop sleeps.
 */
const ALL_THREADS_AFTER = 0.3;

function lookAtThread(pid: number, tid: number): ThreadLook | undefined {
  const sched = readSchedStat(pid, tid);
  const state = readProcStat(pid, tid)?.state;
  return sched === undefined || state === undefined ? undefined : { ...sched, state };
}

/**
 * The worker as the kernel sees it now: its event-loop thread, and if asked, the other threads of `tids`;
 * undefined once it is gone or unreadable.
 */
export function lookAtWorker(pid: number, tids: readonly number[] | undefined): WorkerLook | undefined {
  const main = lookAtThread(pid, pid);
  if (main === undefined) return undefined;
  if (tids === undefined) return { main, others: undefined };
  const others = new Map<number, ThreadLook>();
  for (const tid of tids) {
    const look = tid === pid ? undefined : lookAtThread(pid, tid);
    if (look !== undefined) others.set(tid, look);
  }
  return { main, others };
}

export class HeartbeatWatchdog {
  readonly #options: WatchdogOptions;
  readonly #stalls: LoopStallMeter;
  readonly #look: (pid: number, tids: readonly number[] | undefined) => WorkerLook | undefined;
  readonly #threads: (pid: number) => number[];
  readonly #stepMs: number;
  #heardAt = 0;
  #stalledAtHeard = 0;
  #waitedMs = 0;
  #frozenMs = 0;
  /** What is credited so far of the event loop's wait still under way (run-queue-wait.ts). */
  #carriedMs = 0;
  /** The worker's threads, listed once the silence has lasted; threads started after that are not looked at. */
  #tids: number[] | undefined;
  #ranMs = 0;
  /** The worker announced this silence as a long synchronous step (`worker.blocking`). */
  #blocking = false;
  #reprieved = false;
  #last: Look = { at: 0, worker: undefined };
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #running = false;

  constructor(options: WatchdogOptions) {
    this.#options = options;
    this.#stalls = options.stalls ?? loopStalls;
    this.#look = options.look ?? lookAtWorker;
    this.#threads = options.threads ?? threadIdsOf;
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
    this.#frozenMs = 0;
    this.#carriedMs = 0;
    this.#tids = undefined;
    this.#ranMs = 0;
    this.#blocking = false;
    this.#reprieved = false;
  }

  /**
   * The worker's last message announced a long synchronous step: this silence is judged at the starved limit
   * (hang-policy.ts). Call it after `heard()` of the message that carried it; the next message ends it.
   */
  blocking(): void {
    this.#blocking = true;
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
    const { pid, policy } = this.#options;
    const at = performance.now();
    if (pid === undefined) return { at, worker: undefined };
    // The other threads matter only while the event loop does not run: asleep, maybe on one of them. A runnable
    // event loop's own wait is what keeps it from beating (and the time it runs is never excused).
    const asleep = this.#last.worker !== undefined && this.#last.worker.main.state !== 'R';
    if (asleep && at - this.#heardAt >= policy.timeoutMs * ALL_THREADS_AFTER) this.#tids ??= this.#threads(pid);
    return { at, worker: this.#look(pid, asleep ? this.#tids : undefined) };
  }

  #step(): void {
    if (!this.#running) return;
    const now = this.#lookNow();
    const before = this.#last;
    this.#last = now;
    // The first step of a silence counts from the message, not from the look before it.
    const spanMs = now.at - Math.max(before.at, this.#heardAt);
    const span = workerWaitedMs(before.worker, now.worker, spanMs, this.#carriedMs);
    this.#carriedMs = span.carriedMs;
    // A wait that ended before the message came (between the last look and it) is not this silence's.
    this.#waitedMs += before.at < this.#heardAt ? Math.min(span.waitedMs, spanMs) : span.waitedMs;
    // Starvation for good is an unbroken stretch without a CPU: any run of the worker ends it.
    this.#frozenMs = span.frozen ? this.#frozenMs + spanMs : 0;
    this.#ranMs += span.ranMs;
    const facts: SilenceFacts = {
      silentMs: now.at - this.#heardAt,
      supervisorStalledMs: this.#stalls.stalledMs(now.at) - this.#stalledAtHeard,
      // The time the event loop ran is never excused, however the waits around it were pieced together.
      workerWaitingMs: Math.min(this.#waitedMs, Math.max(0, now.at - this.#heardAt - this.#ranMs)),
      workerFrozenMs: this.#frozenMs,
      blocking: this.#blocking,
    };
    const decision = decideHang(this.#options.policy, facts);
    const report = (): SilenceReport => ({
      silentMs: Math.round(facts.silentMs),
      supervisorStalledMs: Math.round(facts.supervisorStalledMs),
      workerWaitingMs: Math.round(facts.workerWaitingMs),
      workerFrozenMs: Math.round(facts.workerFrozenMs),
      blocking: facts.blocking,
      countedMs: Math.round(decision.countedMs),
      workerRunMs: Math.round(this.#ranMs),
      workerState: now.worker?.main.state,
      workerThreads: now.worker === undefined ? 0 : 1 + (now.worker.others?.size ?? 0),
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
