/**
 * Sends made with an `Idempotency-Key`, per session: `pending` from the moment the request is accepted,
 * `sent` with its result once the worker answered. Kept durably, so a retry after a supervisor restart
 * still gets the first result.
 */
import type { SentMessage } from '@wsm/ipc-protocol';
import type { AppendedEvent, CausedEvents } from '../events/outbox-store.js';

export type IdempotentSend =
  | { state: 'pending'; requestHash: string }
  | { state: 'sent'; requestHash: string; result: SentMessage };

export interface IdempotencyStore {
  get(sessionId: string, key: string): Promise<IdempotentSend | undefined>;
  /** Resolves false when the key is already taken. */
  begin(sessionId: string, key: string, requestHash: string): Promise<boolean>;
  /**
   * Records the result, and appends the events the send caused (its `message.sent`) in the same transaction:
   * a key is never `sent` without its event, nor the event written twice by a retried request.
   */
  complete(
    sessionId: string,
    key: string,
    result: SentMessage,
    caused?: CausedEvents,
  ): Promise<AppendedEvent[]>;
  /** The send certainly did not happen: the key may be used again. */
  abandon(sessionId: string, key: string): Promise<void>;
  /** Drops every key of a deleted session. */
  forgetSession(sessionId: string): Promise<void>;
  prune(beforeMs: number): Promise<number>;
  close(): Promise<void>;
}
