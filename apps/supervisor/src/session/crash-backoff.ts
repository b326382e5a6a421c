/**
 * The crash count of a session and its pending restart: how many times in a row its worker died without
 * becoming ready (reset by an explicit start), and the timer of the next attempt (cleared by any stop).
 */
export class CrashBackoff {
  #consecutive = 0;
  #timer: NodeJS.Timeout | undefined;

  get consecutive(): number {
    return this.#consecutive;
  }

  /** An explicit start or restart: the count begins again. */
  reset(): void {
    this.#consecutive = 0;
  }

  /** Records the count the exit policy decided on (it may or may not schedule a restart). */
  record(consecutive: number): void {
    this.#consecutive = consecutive;
  }

  schedule(delayMs: number, restart: () => void): void {
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      restart();
    }, delayMs);
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
