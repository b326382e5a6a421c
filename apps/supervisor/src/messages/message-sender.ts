/**
 * Sending a message (text or media) through a session, idempotently when the caller gives an `Idempotency-Key`:
 *
 *   key unknown        → recorded `pending` (durably), sent, recorded `sent` with its result and its `message.sent`
 *                        event in one transaction
 *   key `sent`         → the first result again, nothing sent (a different request under the same key is refused)
 *   key `pending`      → the same request in flight here is awaited; one left by a crash is sent again with the
 *                        key, and the worker's own journal answers with the first result if it had sent it
 *
 * A send that certainly did not happen (the session was not ready, the quoted message is unknown,
 * WhatsApp refused the media) frees its key for a later retry.
 *
 * Media: the bytes are loaded (a URL fetched) only once the key is known not to be sent already, so a retry
 * replays without fetching. The spool file is moved into the media store once sent (GET .../media serves it)
 * and removed on any other outcome.
 */
import { WorkerErrorCode, type MediaInfo, type SentMessage } from '@wsm/ipc-protocol';
import type { Logger } from 'pino';
import { Errors } from '../errors.js';
import type { MediaStore } from '../media/media-store.js';
import type { SpooledMedia } from '../media/spooled-media.js';
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
const NOT_SENT: ReadonlySet<string> = new Set([
  WorkerErrorCode.SESSION_NOT_READY,
  WorkerErrorCode.NOT_STARTED,
  WorkerErrorCode.MESSAGE_NOT_FOUND,
  WorkerErrorCode.MEDIA_REJECTED,
]);

export interface SenderOptions {
  store: IdempotencyStore;
  recorder: EventRecorder;
  media: MediaStore;
  /** How long a media send may take in the worker (the bytes cross into the browser and are uploaded). */
  mediaTimeoutMs: number;
  log: Logger;
}

export class MessageSender {
  readonly #store: IdempotencyStore;
  readonly #recorder: EventRecorder;
  readonly #options: SenderOptions;
  readonly #inFlight = new Map<string, { hash: string; result: Promise<SendResult> }>();

  constructor(options: SenderOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#recorder = options.recorder;
  }

  /** A deleted session's keys go with it. */
  forget(sessionId: string): Promise<void> {
    return this.#store.forgetSession(sessionId);
  }

  async send(session: SessionController, outgoing: OutgoingMessage, key: string | undefined): Promise<SendResult> {
    if (key === undefined) {
      try {
        session.assertReady();
        const sent = await this.#deliver(session, await this.#recipient(session, outgoing), outgoing, undefined);
        this.#recorder.record(session.sessionId, 'message.sent', sentData(sent, outgoing, undefined));
        return { message: sent.message, replayed: false };
      } finally {
        await discard(outgoing);
      }
    }
    const slot = `${session.sessionId}\u0000${key}`;
    const hash = outgoing.requestHash;
    const running = this.#inFlight.get(slot);
    if (running !== undefined) {
      await discard(outgoing);
      if (running.hash !== hash) throw new Errors.IDEMPOTENCY_MISMATCH(key);
      return { ...(await running.result), replayed: true };
    }
    const result = this.#sendOnce(session, outgoing, key, hash).finally(() => {
      this.#inFlight.delete(slot);
      return discard(outgoing);
    });
    this.#inFlight.set(slot, { hash, result });
    return result;
  }

  /** Where to send: the chat as given, or with checkNumber the id WhatsApp has for that number (or a refusal). */
  async #recipient(session: SessionController, outgoing: OutgoingMessage): Promise<string> {
    const [user, server] = outgoing.to.split('@');
    if (outgoing.checkNumber !== true || server !== 'c.us' || user === undefined) return outgoing.to;
    const { exists, id } = await session.command('checkNumber', { phone: user });
    if (!exists || id === null) throw new Errors.NUMBER_NOT_ON_WHATSAPP(user);
    return id;
  }

  /** Sends in the worker; a media send's spool file is moved into the media store once sent. */
  async #deliver(session: SessionController, to: string, outgoing: OutgoingMessage, key: string | undefined): Promise<Sent> {
    const common = {
      to,
      ...(outgoing.replyTo === undefined ? {} : { replyTo: outgoing.replyTo }),
      ...(key === undefined ? {} : { idempotencyKey: key }),
    };
    const { content } = outgoing;
    if (content.kind === 'text') return { message: await session.command('sendText', { ...common, text: content.text }), to, media: null };
    const { media } = content;
    const spooled: SpooledMedia = await media.load();
    const message = await session.command(
      'sendMedia',
      {
        ...common,
        media: { path: spooled.path, mimetype: spooled.mimetype, filename: spooled.filename, size: spooled.size },
        ...(media.caption === undefined ? {} : { caption: media.caption }),
        asDocument: media.asDocument,
        asVoice: media.asVoice,
        asSticker: media.asSticker,
      },
      this.#options.mediaTimeoutMs,
    );
    // Sent: from here on a failure to keep the bytes costs GET .../media of this message, not the send.
    await this.#options.media.adopt(session.sessionId, message.id, spooled).catch((error: unknown) =>
      this.#options.log.warn({ sessionId: session.sessionId, messageId: message.id, err: error }, 'could not keep the media of a sent message'),
    );
    return { message, to, media: { mimetype: spooled.mimetype, filename: spooled.filename, size: spooled.size } };
  }

  async #sendOnce(session: SessionController, outgoing: OutgoingMessage, key: string, hash: string): Promise<SendResult> {
    const earlier = await this.#store.get(session.sessionId, key);
    if (earlier !== undefined && earlier.requestHash !== hash) throw new Errors.IDEMPOTENCY_MISMATCH(key);
    // Results stored before sent messages carried their type were all texts.
    if (earlier?.state === 'sent') return { message: { ...earlier.result, type: earlier.result.type ?? 'chat' }, replayed: true };
    session.assertReady();
    // Before the key is taken: a number that is not on WhatsApp leaves nothing behind.
    const to = await this.#recipient(session, outgoing);
    if (earlier === undefined) await this.#store.begin(session.sessionId, key, hash);
    let sent: Sent;
    try {
      sent = await this.#deliver(session, to, outgoing, key);
    } catch (error) {
      if (error instanceof WorkerError && NOT_SENT.has(error.code)) await this.#store.abandon(session.sessionId, key);
      throw error;
    }
    const { message } = sent;
    const event = this.#recorder.prepare(session.sessionId, 'message.sent', sentData(sent, outgoing, key));
    let appended;
    try {
      appended = await this.#store.complete(session.sessionId, key, message, { events: [event], claim: this.#recorder.claim() });
    } catch (error) {
      // Sent, but neither its result nor its event is recorded: the event still goes out (the recorder retries
      // until it is written), and a retry of the request finds the key pending and gets the worker's answer.
      this.#recorder.discard([event]);
      this.#recorder.record(session.sessionId, 'message.sent', sentData(sent, outgoing, key));
      throw error;
    }
    this.#recorder.announce([event], appended);
    return { message, replayed: false };
  }
}

async function discard(outgoing: OutgoingMessage): Promise<void> {
  if (outgoing.content.kind === 'media') await outgoing.content.media.discard();
}

interface Sent {
  message: SentMessage;
  /** The chat it went to (with checkNumber, WhatsApp's id for the number). */
  to: string;
  media: MediaInfo | null;
}

function sentData({ message, to, media }: Sent, outgoing: OutgoingMessage, key: string | undefined): Record<string, unknown> {
  const { content } = outgoing;
  return {
    id: message.id,
    to,
    type: message.type,
    body: content.kind === 'text' ? content.text : (content.media.caption ?? ''),
    media,
    replyTo: outgoing.replyTo ?? null,
    ...(key === undefined ? {} : { idempotencyKey: key }),
  };
}
