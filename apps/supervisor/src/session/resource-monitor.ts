/**
 * Samples each session's memory, its worker plus its browser's process tree (PSS, so shared pages are not
 * counted twice), with one /proc scan per round, and recycles the sessions the recycle policy picks. Rounds
 * are paced by what they cost (sample-pacing.ts): with many browsers, reading their PSS is not cheap.
 */
import type { Logger } from 'pino';
import { groupMemory, listPids, readLiveProcStat, type ProcStat } from '@wsm/procfs';
import { TimeSlice } from '../time-slice.js';
import { decideRecycle, type RecyclePolicy, type RecycleReason } from './recycle-policy.js';
import { decideSampleDelay } from './sample-pacing.js';
import type { SessionRunner } from './session-runner.js';
import type { SessionMemory } from './session-runtime.js';

/** The share of one core memory rounds may take when they cost more than the interval allows. */
const SAMPLE_CPU_BUDGET = 0.02;
/** How long the /proc scan of a round keeps the event loop at a time. */
const SCAN_SLICE_MS = 4;

export interface MonitorOptions {
  intervalMs: number;
  policy: RecyclePolicy;
  log: Logger;
  onRecycle?: (sessionId: string, reason: RecycleReason) => void;
}

export class ResourceMonitor {
  readonly #sessions: SessionRunner;
  readonly #options: MonitorOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  /** The round under way: one at a time, however long a process makes its memory wait to be read. */
  #sampling: Promise<void> | undefined;

  constructor(sessions: SessionRunner, options: MonitorOptions) {
    this.#sessions = sessions;
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(this.#options.intervalMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      const began = performance.now();
      void this.sample().then(() => {
        const roundMs = performance.now() - began;
        this.#schedule(decideSampleDelay({ intervalMs: this.#options.intervalMs, budget: SAMPLE_CPU_BUDGET }, roundMs));
      });
    }, delayMs);
    this.#timer.unref();
  }

  /** One round; a round asked for while one runs is that one. */
  sample(): Promise<void> {
    this.#sampling ??= this.#sampleAll()
      .catch((error: unknown) => this.#options.log.error({ err: error }, 'memory sampling failed'))
      .finally(() => {
        this.#sampling = undefined;
      });
    return this.#sampling;
  }

  /**
   * Every live process, a slice at a time: a scan reads one small file per process of the machine, and with 50
   * webjs sessions starting (200+ processes, the CPU contended) one scan in a piece held the event loop for ~37 ms.
   */
  async #listProcesses(): Promise<ProcStat[]> {
    const slice = new TimeSlice(SCAN_SLICE_MS);
    const processes: ProcStat[] = [];
    for (const pid of listPids()) {
      const stat = readLiveProcStat(pid);
      if (stat !== undefined) processes.push(stat);
      if (slice.spent) await slice.next();
    }
    return processes;
  }

  async #sampleAll(): Promise<void> {
    const processes = await this.#listProcesses();
    const sampledAt = new Date().toISOString();
    for (const session of this.#sessions.controllers()) {
      const worker = session.worker;
      if (worker?.pid === undefined || !worker.alive) {
        session.memory = null;
        continue;
      }
      const own = await groupMemory(processes, new Set([worker.pid]));
      const browser = worker.browser === null ? { pssBytes: 0, processes: 0 } : await groupMemory(processes, new Set([worker.browser.pgid]));
      // The worker may have gone while its memory was read: a dead worker keeps no figures, and is not recycled.
      if (!worker.alive || session.worker !== worker) continue;
      const memory: SessionMemory = {
        workerBytes: own.pssBytes,
        browserBytes: browser.pssBytes,
        totalBytes: own.pssBytes + browser.pssBytes,
        processes: own.processes + browser.processes,
        sampledAt,
      };
      session.memory = memory;
      // A session being stopped or logged out is not recycled back to life.
      if (session.desiredState !== 'running') continue;
      const reason = decideRecycle(this.#options.policy, {
        status: session.status,
        totalBytes: memory.totalBytes,
        uptimeMs: Date.now() - worker.spawnedAt,
      });
      if (reason === undefined) continue;
      const limit = this.#options.policy.maxMemoryBytes;
      this.#options.log.warn(
        { sessionId: session.sessionId, reason, totalBytes: memory.totalBytes, limitBytes: limit },
        reason === 'memory' ? 'session passed its memory limit: recycling its worker' : 'scheduled recycle of the worker',
      );
      this.#options.onRecycle?.(session.sessionId, reason);
      void session
        .restart(reason === 'memory' ? `memory ${Math.round(memory.totalBytes / 1048576)} MB over the limit` : 'scheduled recycle')
        .catch((error: unknown) => this.#options.log.error({ err: error, sessionId: session.sessionId }, 'recycle failed'));
    }
  }
}
