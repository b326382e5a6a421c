/**
 * How long this process's event loop could not run: the process SIGSTOPped, its VM or container paused, a long
 * GC or a synchronous stretch, the supervisor itself starved of CPU. Measured as the summed lateness of a cheap
 * unref'd ticker, which runs only while someone holds the meter (each live worker's watchdog does).
 *
 * A reading is a running total: a caller keeps the value at the start of a window and subtracts it. A stall still
 * under way counts up to the moment of reading; at most one tick at the start of each stall goes unseen.
 */
export class LoopStallMeter {
  readonly #tickMs: number;
  #stalledMs = 0;
  #dueAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #holders = 0;

  constructor(tickMs = 100) {
    this.#tickMs = tickMs;
  }

  acquire(): void {
    if (this.#holders++ === 0) this.#arm(performance.now());
  }

  release(): void {
    if (this.#holders === 0 || --this.#holders > 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Total stall so far, in ms, as of `at` (a `performance.now()` reading). */
  stalledMs(at: number = performance.now()): number {
    return this.#stalledMs + (this.#timer === undefined ? 0 : Math.max(0, at - this.#dueAt));
  }

  #arm(at: number): void {
    this.#dueAt = at + this.#tickMs;
    this.#timer = setTimeout(() => this.#tick(), this.#tickMs).unref();
  }

  #tick(): void {
    const at = performance.now();
    this.#stalledMs += Math.max(0, at - this.#dueAt);
    this.#arm(at);
  }
}

/** The event loop is one per process, and so is its meter. */
export const loopStalls = new LoopStallMeter();
