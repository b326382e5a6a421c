/**
 * Long synchronous work cut into slices, with a turn of the event loop between them: requests that arrive
 * meanwhile wait a slice at most, not the whole work. The work itself stays synchronous, its cheapest form (a
 * /proc read through the thread pool costs several round trips on the event loop instead of one system call).
 *
 *   const slice = new TimeSlice(5);
 *   for (const item of items) {
 *     work(item);
 *     if (slice.spent) await slice.next();
 *   }
 */
export class TimeSlice {
  readonly #ms: number;
  #began = performance.now();

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** This slice has had its time. */
  get spent(): boolean {
    return performance.now() - this.#began >= this.#ms;
  }

  /** One turn of the event loop (`setImmediate` runs after the I/O it polled), then a fresh slice. */
  async next(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#began = performance.now();
  }
}
