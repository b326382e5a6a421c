/**
 * Every worker fork (start, restart, restore, restart after a crash) waits here for a launch slot. Slots are
 * granted first come, first served, while the launch policy (launch-policy.ts) says the machine can take one
 * more launch; a slot is held until its session leaves `starting` or its worker exits (the controller releases
 * it), and at most `holdLimitMs`, so a launch that never finishes cannot block the queue for good.
 *
 * - At most one slot is granted per turn of the event loop: fork() is synchronous and blocks the loop for a few
 *   milliseconds each, so a burst of forks in one turn would stall every HTTP request meanwhile.
 * - The CPU is sampled only while something waits (one small /proc read per tick): an idle queue costs nothing.
 * - FIFO, with no priority for API starts over a restore backlog: the backlog is bounded by the sessions this
 *   process runs (MAX_SESSIONS), each of them a session someone wants up too, and it drains at the launch rate;
 *   jumping the line would only reorder who waits, not shorten the wait.
 */
import type { Logger } from 'pino';
import type { EngineName } from '@wsm/ipc-protocol';
import { availableMemoryBytes } from '@wsm/procfs';
import { ENGINE_FOOTPRINT_BYTES } from './admission-policy.js';
import { cpuLoadBetween, sampleCpu, type CpuLoad, type CpuSample } from './cpu-load.js';
import { decideLaunch, ENGINE_LAUNCH_CPU_MS, type LaunchPolicy, type LaunchWait } from './launch-policy.js';

export interface LaunchQueueOptions {
  policy: LaunchPolicy;
  cpuCount: number;
  /** A granted slot is released after this long even if its session is still `starting`. */
  holdLimitMs: number;
  log: Logger;
  /** How often the CPU is sampled and the head of the line looked at again while something waits. */
  tickMs?: number;
  sampleCpu?: () => CpuSample;
  availableBytes?: () => number | undefined;
}

export interface LaunchTicket {
  readonly sessionId: string;
  /** True once the slot is granted (the fork may begin); false while waiting or after a cancel. */
  readonly granted: boolean;
  /** Released: out of the line, or its slot given back. */
  readonly done: boolean;
  /** Leaves the line, or gives the slot back. Idempotent. */
  release(): void;
}

interface Waiter {
  ticket: Ticket;
  engine: EngineName;
  onGranted: (ticket: LaunchTicket) => void;
}

class Ticket implements LaunchTicket {
  granted = false;
  done = false;
  readonly requestedAt = performance.now();
  holdTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly sessionId: string,
    private readonly onRelease: (ticket: Ticket) => void,
  ) {}
  release(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.holdTimer);
    this.onRelease(this);
  }
}

/** What a session controller asks before it forks (session-environment.ts). */
export interface LaunchSlots {
  /** Joins the line; `onGranted` runs once the slot is this session's (never after a release). */
  request(sessionId: string, engine: EngineName, onGranted: (ticket: LaunchTicket) => void): LaunchTicket;
  /** How many wait before this ticket (0 when it is next or holds a slot). */
  ahead(ticket: LaunchTicket): number;
  /** Sessions waiting for a slot. */
  readonly queued: number;
  /** Slots held: workers forked and not yet past `starting`. */
  readonly launching: number;
}

/** No line at all: every request is granted at once, in the same turn (tests of the lifecycle alone). */
export const immediateLaunches: LaunchSlots = {
  request(sessionId, _engine, onGranted) {
    const ticket = new Ticket(sessionId, () => {});
    ticket.granted = true;
    onGranted(ticket);
    return ticket;
  },
  ahead: () => 0,
  queued: 0,
  launching: 0,
};

const DEFAULT_TICK_MS = 250;

export class LaunchQueue implements LaunchSlots {
  readonly #options: LaunchQueueOptions;
  readonly #sampleCpu: () => CpuSample;
  readonly #availableBytes: () => number | undefined;
  readonly #waiting: Waiter[] = [];
  #launching = 0;
  #tick: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #sample: CpuSample | undefined;
  #load: CpuLoad | undefined;
  #lastWait: LaunchWait | undefined;

  constructor(options: LaunchQueueOptions) {
    this.#options = options;
    this.#sampleCpu = options.sampleCpu ?? sampleCpu;
    this.#availableBytes = options.availableBytes ?? availableMemoryBytes;
  }

  /** Sessions waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Slots held: workers forked and not yet past `starting`. */
  get launching(): number {
    return this.#launching;
  }

  /**
   * Joins the line; `onGranted` runs once the slot is this session's (never after a release): at once when
   * nothing waits or launches (a start on a quiet machine answers with its worker's pid, as before the queue),
   * else in a later turn.
   */
  request(sessionId: string, engine: EngineName, onGranted: (ticket: LaunchTicket) => void): LaunchTicket {
    const ticket = new Ticket(sessionId, (done) => this.#onRelease(done));
    const waiter = { ticket, engine, onGranted };
    if (this.#waiting.length === 0 && this.#launching === 0) {
      this.#grant(waiter);
      return ticket;
    }
    this.#waiting.push(waiter);
    this.#schedule();
    return ticket;
  }

  /** How many wait before this ticket (0 when it is next or holds a slot). */
  ahead(ticket: LaunchTicket): number {
    return Math.max(0, this.#waiting.findIndex((waiter) => waiter.ticket === ticket));
  }

  /** Shutdown: nobody waits any more (their sessions are stopping), timers stop. */
  close(): void {
    for (const waiter of this.#waiting.splice(0)) waiter.ticket.done = true;
    this.#stopTicking();
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
  }

  #onRelease(ticket: Ticket): void {
    if (ticket.granted) {
      ticket.granted = false;
      this.#launching -= 1;
    } else {
      const index = this.#waiting.findIndex((waiter) => waiter.ticket === ticket);
      if (index >= 0) this.#waiting.splice(index, 1);
    }
    this.#schedule();
  }

  /** The next look at the line, one turn later: at most one grant per turn. */
  #schedule(): void {
    if (this.#waiting.length === 0) {
      this.#stopTicking();
      return;
    }
    this.#immediate ??= setImmediate(() => {
      this.#immediate = undefined;
      this.#pump();
    });
  }

  #pump(): void {
    const head = this.#waiting[0];
    if (head === undefined) return this.#stopTicking();
    const decision = decideLaunch(this.#options.policy, {
      launching: this.#launching,
      cpuCount: this.#options.cpuCount,
      load: this.#load,
      availableBytes: this.#availableBytes(),
      footprintBytes: ENGINE_FOOTPRINT_BYTES[head.engine],
      launchCpuMs: ENGINE_LAUNCH_CPU_MS[head.engine],
    });
    if (!decision.launch) {
      if (decision.reason !== this.#lastWait) {
        this.#options.log.info({ reason: decision.reason, queued: this.#waiting.length, launching: this.#launching, load: this.#load }, 'launches waiting');
      }
      this.#lastWait = decision.reason;
      this.#startTicking();
      return;
    }
    this.#lastWait = undefined;
    this.#waiting.shift();
    this.#grant(head);
    this.#schedule();
  }

  #grant(head: Waiter): void {
    const { ticket } = head;
    ticket.granted = true;
    this.#launching += 1;
    ticket.holdTimer = setTimeout(() => {
      this.#options.log.warn({ sessionId: ticket.sessionId, holdLimitMs: this.#options.holdLimitMs }, 'a launch held its slot too long: slot released');
      ticket.release();
    }, this.#options.holdLimitMs);
    ticket.holdTimer.unref();
    // The next launch waits for a fresh window, from now: this one's load is not in the last.
    this.#load = undefined;
    if (this.#tick !== undefined) this.#sample = this.#sampleCpu();
    const waitedMs = Math.round(performance.now() - ticket.requestedAt);
    // Only launches that had to wait are worth a line: a start on a quiet machine logs its fork anyway.
    if (waitedMs >= 1000) {
      this.#options.log.info({ sessionId: ticket.sessionId, waitedMs, launching: this.#launching, queued: this.#waiting.length }, 'launch slot granted');
    }
    head.onGranted(ticket);
  }

  #startTicking(): void {
    if (this.#tick !== undefined) return;
    this.#sample = this.#sampleCpu();
    const tickMs = this.#options.tickMs ?? DEFAULT_TICK_MS;
    this.#tick = setInterval(() => {
      const sample = this.#sampleCpu();
      // A window much shorter than a tick (a grant restarted it just now) is too noisy to judge by: wait for more.
      if (this.#sample !== undefined && sample.atMs - this.#sample.atMs < tickMs / 2) return;
      if (this.#sample !== undefined) this.#load = cpuLoadBetween(this.#sample, sample);
      this.#sample = sample;
      this.#schedule();
    }, tickMs);
    this.#tick.unref();
  }

  #stopTicking(): void {
    clearInterval(this.#tick);
    this.#tick = undefined;
    // A window from before the line emptied says little about the next burst.
    this.#load = undefined;
  }
}
