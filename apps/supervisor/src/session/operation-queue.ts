/**
 * One session's lifecycle operations, one at a time and in order: a start that arrives while a stop is still
 * waiting for its worker runs after it, so there is never more than one worker per session. A failed
 * operation is reported to its caller and logged; the queue goes on.
 */
export class OperationQueue {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Nothing queued or running. */
  get idle(): boolean {
    return this.#pending === 0;
  }

  enqueue(operation: () => Promise<void> | void): Promise<void> {
    this.#pending++;
    const run = this.#tail.then(operation).finally(() => this.#pending--);
    this.#tail = run.catch(this.#onError);
    return run;
  }

  /** Resolves once every operation queued so far has run. */
  settled(): Promise<void> {
    return this.#tail;
  }
}
