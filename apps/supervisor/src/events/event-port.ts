/**
 * What a session's lifecycle needs of the event recorder to write its status events together with its changes
 * (one transaction where the store allows): envelopes prepared up front, announced once written, and let go if
 * the change was refused. A port of its own, so the session layer does not import the recorder.
 */
import type { EventType } from './envelope.js';
import type { AppendedEvent, Claim, NewEvent } from './outbox-store.js';

export interface EventPort {
  /** An envelope with its id, timestamp and deliveries (fresh ones reserved in the dispatcher's lanes). */
  prepare(sessionId: string, type: EventType, data: Record<string, unknown>): NewEvent;
  /** The claim fresh deliveries are written with. */
  claim(): Claim;
  /** Written: tell SSE and hand claimed deliveries to the dispatcher. */
  announce(events: readonly NewEvent[], appended: readonly AppendedEvent[]): void;
  /** Not written (the change was refused): give back what `prepare` reserved. */
  discard(events: readonly NewEvent[]): void;
}
