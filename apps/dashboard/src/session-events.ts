/**
 * One session's events, every type, for its view: GET /events?sessionId=… opened when the view opens, replaying
 * from the first event the page saw (so the view also shows what happened since the page opened, messages
 * included), then live. Kept apart from the list's stream so that message traffic of thousands of sessions never
 * reaches the page unless one of them is looked at.
 */
import type { Envelope } from './api-types.js';

const KEPT = 100;

export class SessionEvents {
  /** Newest last, the last KEPT. */
  events: Envelope[] = [];
  readonly #listeners = new Set<(event: Envelope | undefined) => void>();
  readonly #sessionId: string;
  #source: EventSource | undefined;
  #lastEventId: string | undefined;
  #closed = false;

  constructor(sessionId: string, since: string | undefined) {
    this.#sessionId = sessionId;
    this.#lastEventId = since;
    this.#open();
  }

  /** Each event as it arrives; `undefined` when the stream (re)opens. */
  subscribe(listener: (event: Envelope | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    this.#source?.close();
  }

  #open(): void {
    const query = new URLSearchParams({ sessionId: this.#sessionId });
    if (this.#lastEventId !== undefined) query.set('lastEventId', this.#lastEventId);
    const source = new EventSource(`/events?${query}`);
    this.#source = source;
    source.onmessage = (message: MessageEvent<string>) => {
      this.#lastEventId = message.lastEventId;
      const event = JSON.parse(message.data) as Envelope;
      this.events = [...this.events.slice(1 - KEPT), event];
      for (const listener of this.#listeners) listener(event);
    };
    // Given up (refused): opened again where it stopped; the list's stream sends the browser to sign in if needed.
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED && !this.#closed) setTimeout(() => this.#closed || this.#open(), 2000);
    };
  }
}
