/**
 * What tells an SSE stream that there is something new to send (sse-stream.ts).
 *
 * - `ordered`: one writer (the embedded store). Live events come from this process's recorder with their
 *   cursors, in stream order, and are sent as they are: no query per event.
 * - `signal`: several writers (a cluster on PostgreSQL). A cursor handed out with an append is the event's true
 *   place, but a transaction that started earlier may still commit an event before it, so live events are only a
 *   signal: the stream reads the store after its last cursor, which hands out settled events only. Signals come
 *   from this node's recorder, from the database (any node's append, pg-listener.ts), and from a slow poll
 *   (an event held back behind another node's open transaction becomes readable when that one ends, which no
 *   notification announces).
 */
import type { EventRecorder } from './event-recorder.js';
import type { StoredEvent } from './outbox-store.js';

export type EventFeed =
  | { kind: 'ordered'; subscribe(listener: (events: StoredEvent[]) => void): () => void }
  | { kind: 'signal'; subscribe(listener: () => void): () => void };

export function recorderFeed(recorder: EventRecorder): EventFeed {
  return {
    kind: 'ordered',
    subscribe(listener) {
      recorder.on('recorded', listener);
      return () => recorder.off('recorded', listener);
    },
  };
}

/** How often streams look again when nothing signalled (only while at least one stream is open). */
const POLL_MS = 500;

export class SignalFeed {
  readonly kind = 'signal';
  readonly #listeners = new Set<() => void>();
  #poll: NodeJS.Timeout | undefined;

  constructor(recorder: EventRecorder) {
    recorder.on('recorded', () => this.wake());
  }

  wake(): void {
    for (const listener of this.#listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#poll === undefined) {
      this.#poll = setInterval(() => this.wake(), POLL_MS);
      this.#poll.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        clearInterval(this.#poll);
        this.#poll = undefined;
      }
    };
  }
}
