/**
 * Commands: requests from the supervisor that the worker answers with one `worker.reply` carrying the same `id`.
 * Each command is declared once with its params and its result schema; the message schemas and the types
 * the two sides program against are derived from this table.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import {
  ChatId,
  IdempotencyKey,
  InboundMessage,
  MediaInfo,
  Me,
  MessageId,
  MessageText,
  PhoneNumber,
  SentMessage,
} from './common.js';

const Empty = Type.Object({}, { additionalProperties: false });
const strict = { additionalProperties: false } as const;

/**
 * Media bytes never travel over IPC: the supervisor spools them to a file (an upload, a fetched URL) and names
 * it here, and the worker writes what it downloads to a file the supervisor names. One message stays small,
 * and neither process holds a file twice.
 */
const AbsolutePath = Type.String({ minLength: 2, maxLength: 4096, pattern: '^/' });
const MediaFile = Type.Object(
  {
    path: AbsolutePath,
    mimetype: Type.String({ minLength: 1, maxLength: 255 }),
    filename: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
    size: Type.Integer({ minimum: 1 }),
  },
  strict,
);
export const Caption = Type.String({ maxLength: 4096 });
/** A reaction: one emoji (a few code points), or empty to remove it. */
export const Emoji = Type.String({ maxLength: 64 });

export const Commands = {
  /** Link by phone number instead of QR; answers the 8-character code the user types on the phone. */
  requestPairingCode: {
    params: Type.Object({ phoneNumber: PhoneNumber }, { additionalProperties: false }),
    result: Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false }),
  },
  /**
   * With an idempotency key, a worker that already sent under that key (its journal says so) answers with the
   * first result instead of sending again: this covers a supervisor that lost the answer in a crash.
   */
  sendText: {
    params: Type.Object(
      { to: ChatId, text: MessageText, replyTo: Type.Optional(MessageId), idempotencyKey: Type.Optional(IdempotencyKey) },
      { additionalProperties: false },
    ),
    result: SentMessage,
  },
  /** Same idempotency as sendText; the worker only reads `media.path`, the supervisor removes it. */
  sendMedia: {
    params: Type.Object(
      {
        to: ChatId,
        media: MediaFile,
        caption: Type.Optional(Caption),
        asDocument: Type.Boolean(),
        asVoice: Type.Boolean(),
        asSticker: Type.Boolean(),
        replyTo: Type.Optional(MessageId),
        idempotencyKey: Type.Optional(IdempotencyKey),
      },
      strict,
    ),
    result: SentMessage,
  },
  /**
   * Writes a message's media to `path` (which must not exist yet) and describes it. Fails with
   * WSM_MESSAGE_NOT_FOUND (no such message), WSM_MEDIA_NOT_FOUND (it has no media) or WSM_MEDIA_EXPIRED (WhatsApp
   * no longer has the bytes).
   */
  downloadMedia: {
    params: Type.Object({ messageId: MessageId, path: AbsolutePath }, strict),
    result: MediaInfo,
  },
  react: {
    params: Type.Object({ messageId: MessageId, emoji: Emoji }, strict),
    result: Empty,
  },
  /** Marks a chat read: the other party sees blue ticks. */
  markRead: {
    params: Type.Object({ chatId: ChatId }, strict),
    result: Empty,
  },
  /** Whether a number is on WhatsApp, and its id there. */
  checkNumber: {
    params: Type.Object({ phone: PhoneNumber }, strict),
    result: Type.Object({ exists: Type.Boolean(), id: Type.Union([Type.String(), Type.Null()]) }, strict),
  },
  /** webjs only: a PNG of the WhatsApp Web page, base64 (a few hundred KB at most). */
  screenshot: {
    params: Empty,
    result: Type.Object({ png: Type.String({ minLength: 1 }) }, strict),
  },
  /** Unlink the device and delete the session's auth data. */
  logout: { params: Empty, result: Empty },
  /** simulated engine only: the phone scans the QR (or confirms the pairing code). */
  'simulate.scan': {
    params: Empty,
    result: Type.Object({ me: Me }, { additionalProperties: false }),
  },
  /**
   * simulated engine only: another party sends a message to this session: a text, or media (copied from the
   * spool file named here; `text` is then its caption), optionally quoting one of the session's messages.
   */
  'simulate.inbound': {
    params: Type.Object(
      { from: ChatId, text: Type.Optional(MessageText), media: Type.Optional(MediaFile), replyTo: Type.Optional(MessageId) },
      strict,
    ),
    result: InboundMessage,
  },
  /** simulated engine only: another party reacts to a message (an empty emoji removes the reaction). */
  'simulate.reaction': {
    params: Type.Object({ messageId: MessageId, emoji: Emoji, from: ChatId }, strict),
    result: Empty,
  },
  /** simulated engine only: the sender of a message deletes it for everyone. */
  'simulate.revoke': {
    params: Type.Object({ messageId: MessageId }, strict),
    result: Empty,
  },
  /** simulated engine only: the WhatsApp-side connection drops (and recovers by itself). */
  'simulate.disconnect': { params: Empty, result: Empty },
  /** simulated engine only: the client leaks this much memory (and keeps it), to exercise memory limits. */
  'simulate.allocate': {
    params: Type.Object({ megabytes: Type.Integer({ minimum: 1, maximum: 4096 }) }, { additionalProperties: false }),
    result: Type.Object({ heldMegabytes: Type.Integer() }, { additionalProperties: false }),
  },
} as const satisfies Record<string, { params: TObject; result: TSchema }>;

export type CommandName = keyof typeof Commands;
export type CommandParams<N extends CommandName> = Static<(typeof Commands)[N]['params']>;
export type CommandResult<N extends CommandName> = Static<(typeof Commands)[N]['result']>;
export const COMMAND_NAMES = Object.keys(Commands) as CommandName[];

export const isCommandName = (name: string): name is CommandName => Object.hasOwn(Commands, name);
