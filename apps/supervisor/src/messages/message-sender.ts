/**
 * Sending a text through a session, idempotently when the caller gives an `Idempotency-Key`:
 *
 *   key unknown        → recorded `pending` (durably), sent, recorded `sent` with its result and its `message.sent`
 *                        event in one transaction
 *   key `sent`         → the first result again, nothing sent (a different request under the same key is refused)
 *   key `pending`      → the same request in flight here is awaited; one left by a crash is sent again with the
 *                        key, and the worker's own journal answers with the first result if it had sent it
 *
 * A send that certainly did not happen (the session was not ready) frees its key for a later retry.
 */
import { WorkerErrorCode, type SentMessage } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import { WorkerError } from '../worker/worker-errors.js';
import type { EventRecorder } from '../events/event-recorder.js';
import type { SessionController } from '../session/session-controller.js';
import type { IdempotencyStore } from './idempotency-store.js';
import type { OutgoingMessage } from './outgoing-message.js';

export interface SendResult {
  message: SentMessage;
  /** True when this is the first result of an earlier request with the same key. */
  replayed: boolean;
}

/** Failures after which the message was certainly not sent. */
const NOT_SENT: ReadonlySet<string> = new Set([WorkerErrorCode.SESSION_NOT_READY, WorkerErrorCode.NOT_STARTED]);

export class MessageSender {
  readonly #store: IdempotencyStore;
  readonly #recorder: EventRecorder;
  readonly #inFlight = new Map<string, { hash: string; result: Promise<SendResult> }>();

  constructor(store: IdempotencyStore, recorder: EventRecorder) {
    this.#store = store;
    this.#recorder = recorder;
  }

  /** A deleted session's keys go with it. */
  forget(sessionId: string): Promise<void> {
    return this.#store.forgetSession(sessionId);
  }

  async send(session: SessionController, outgoing: OutgoingMessage, key: string | undefined): Promise<SendResult> {
    if (outgoing.content.kind === 'media') {
      // Placeholder until media sending lands: nothing is sent, nothing stays in the spool.
      await outgoing.content.media.discard();
      throw new Errors.MEDIA_NOT_SUPPORTED();
    }
    const { to } = outgoing;
    const { text } = outgoing.content;
    if (key === undefined) {
      session.assertReady();
      const message = await session.command('sendText', { to, text });
      this.#recorder.record(session.sessionId, 'message.sent', sentData(message, to, text, undefined));
      return { message, replayed: false };
    }
    const slot = `${session.sessionId}\u0000${key}`;
    const hash = outgoing.requestHash;
    const running = this.#inFlight.get(slot);
    if (running !== undefined) {
      if (running.hash !== hash) throw new Errors.IDEMPOTENCY_MISMATCH(key);
      return { ...(await running.result), replayed: true };
    }
    const result = this.#sendOnce(session, to, text, key, hash).finally(() => this.#inFlight.delete(slot));
    this.#inFlight.set(slot, { hash, result });
    return result;
  }

  async #sendOnce(session: SessionController, to: string, text: string, key: string, hash: string): Promise<SendResult> {
    const earlier = await this.#store.get(session.sessionId, key);
    if (earlier !== undefined && earlier.requestHash !== hash) throw new Errors.IDEMPOTENCY_MISMATCH(key);
    if (earlier?.state === 'sent') return { message: earlier.result, replayed: true };
    session.assertReady();
    if (earlier === undefined) await this.#store.begin(session.sessionId, key, hash);
    let message: SentMessage;
    try {
      message = await session.command('sendText', { to, text, idempotencyKey: key });
    } catch (error) {
      if (error instanceof WorkerError && NOT_SENT.has(error.code)) await this.#store.abandon(session.sessionId, key);
      throw error;
    }
    const event = this.#recorder.prepare(session.sessionId, 'message.sent', sentData(message, to, text, key));
    let appended;
    try {
      appended = await this.#store.complete(session.sessionId, key, message, { events: [event], claim: this.#recorder.claim() });
    } catch (error) {
      // Sent, but neither its result nor its event is recorded: the event still goes out (the recorder retries
      // until it is written), and a retry of the request finds the key pending and gets the worker's answer.
      this.#recorder.discard([event]);
      this.#recorder.record(session.sessionId, 'message.sent', sentData(message, to, text, key));
      throw error;
    }
    this.#recorder.announce([event], appended);
    return { message, replayed: false };
  }
}

function sentData(message: SentMessage, to: string, text: string, key: string | undefined): Record<string, unknown> {
  return { id: message.id, to, body: text, ...(key === undefined ? {} : { idempotencyKey: key }) };
}
