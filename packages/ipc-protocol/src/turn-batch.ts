/**
 * Both sides batch what they say in one turn of their event loop: it leaves at the end of the turn
 * (setImmediate, after the promise continuations that produce more of it) as one batch message, in order, or
 * alone when it is the only one. Under a burst that is one IPC write and one wake-up of the other process for
 * many messages instead of one each; on a machine with fewer cores than busy processes, each wake-up can also
 * preempt the sender.
 */
import { MAX_BATCH } from './constants.js';

export interface TurnBatch<M> {
  /** Queues a message for the end of this turn (at once when the batch is full). */
  push(message: M): void;
  /** Writes what is queued now; `done` once it has been written (or at once when there was nothing to write). */
  flush(done?: () => void): void;
}

/** `write` gets one message or, for several, the batch `wrap` makes of them; `done` is for it to call when written. */
export function turnBatch<M, B>(write: (message: M | B, done: () => void) => void, wrap: (messages: M[]) => B): TurnBatch<M> {
  let queued: M[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (done: () => void = () => {}): void => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    const messages = queued;
    queued = [];
    if (messages.length === 0) return done();
    write(messages.length === 1 ? messages[0]! : wrap(messages), done);
  };
  return {
    push(message) {
      queued.push(message);
      if (queued.length >= MAX_BATCH) flush();
      else scheduled ??= setImmediate(() => flush());
    },
    flush,
  };
}
