/**
 * A message as the send route hands it to the sender (message-sender.ts), whatever the request looked like
 * (JSON text, JSON media by URL or base64, a multipart upload).
 */
import type { SpooledMedia } from '../media/spooled-media.js';

export interface OutgoingMedia {
  /**
   * The bytes, spooled. Lazy so that a retry whose Idempotency-Key was already sent replays the first result
   * without fetching a URL again; an upload or base64 body is already spooled and resolves at once.
   */
  load(): Promise<SpooledMedia>;
  /** Removes the spool file if one was made and not handed over; safe to call more than once. */
  discard(): Promise<void>;
  caption?: string;
  asDocument: boolean;
  asVoice: boolean;
  asSticker: boolean;
}

export interface OutgoingMessage {
  /** Normalized chat id. */
  to: string;
  /** Id of the message this one quotes. */
  replyTo?: string;
  /**
   * Check the number first: one not on WhatsApp is refused (422 WSM_NUMBER_NOT_ON_WHATSAPP) and nothing is
   * sent; one on it is sent to the id WhatsApp gave.
   */
  checkNumber?: boolean;
  content: { kind: 'text'; text: string } | { kind: 'media'; media: OutgoingMedia };
  /**
   * What an Idempotency-Key is bound to: the same key with a different hash is refused. For a URL it covers the
   * URL and the options, for bytes (base64, upload) their sha256 and the options.
   */
  requestHash: string;
}
