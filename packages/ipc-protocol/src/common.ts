/**
 * Building blocks shared by both directions of the protocol, and by the supervisor's HTTP schemas.
 * Every shape is declared once here as a TypeBox schema; TypeScript types are derived with Static<>.
 */
import { Type, type Static } from '@sinclair/typebox';
import { LOG_LEVELS, SESSION_ID_PATTERN } from './constants.js';

export const SessionId = Type.String({ pattern: SESSION_ID_PATTERN, description: 'Session id' });

export const EngineName = Type.Union([Type.Literal('webjs'), Type.Literal('simulated')]);
export type EngineName = Static<typeof EngineName>;

/**
 * The statuses an engine reports with `worker.status`. `qr` is reported by `worker.qr` alone, so a session is
 * never in `qr` without a code to show; the supervisor adds backoff/stopping/stopped/failed.
 */
export const EngineStatus = Type.Union([
  Type.Literal('starting'),
  Type.Literal('authenticated'),
  Type.Literal('ready'),
  Type.Literal('disconnected'),
]);
export type EngineStatus = Static<typeof EngineStatus>;

export const Me = Type.Object(
  {
    id: Type.String({ maxLength: 128 }),
    pushname: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type Me = Static<typeof Me>;

export const CodedError = Type.Object(
  {
    code: Type.String({ pattern: '^WSM_[A-Z0-9_]+$' }),
    message: Type.String({ maxLength: 4096 }),
  },
  { additionalProperties: false },
);
export type CodedError = Static<typeof CodedError>;

export const LogLevel = Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)));
export type LogLevel = Static<typeof LogLevel>;

const Bytes = Type.Integer({ minimum: 0 });
export const MemoryFigures = Type.Object(
  {
    rss: Bytes,
    heapTotal: Bytes,
    heapUsed: Bytes,
    external: Bytes,
    arrayBuffers: Bytes,
  },
  { additionalProperties: false },
);
export type MemoryFigures = Static<typeof MemoryFigures>;

/** A browser the worker started: its pid and process group, so the supervisor can kill it if the worker cannot. */
export const BrowserProcess = Type.Object(
  { pid: Type.Integer({ minimum: 1 }), pgid: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
export type BrowserProcess = Static<typeof BrowserProcess>;

/** WhatsApp ids as the contract shows them: `15550001111@c.us`, groups `...@g.us`. */
export const ChatId = Type.String({ minLength: 3, maxLength: 128, pattern: '^[^\\s]+$' });
export const MessageText = Type.String({ minLength: 1, maxLength: 65536 });
/** Unix seconds, as WhatsApp stamps messages. */
export const UnixSeconds = Type.Integer({ minimum: 0 });

/** What a message's media is, without its bytes (they travel as files: see the media commands). */
export const MediaInfo = Type.Object(
  {
    mimetype: Type.String({ minLength: 1, maxLength: 255 }),
    filename: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
    /** Bytes; 0 when WhatsApp did not say (the real size is known once downloaded). */
    size: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type MediaInfo = Static<typeof MediaInfo>;

/** A WhatsApp message id as whatsapp-web.js serializes it, e.g. `false_15550002222@c.us_3EB0…`. */
export const MessageId = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\s/]+$' });

/** whatsapp-web.js's type names of what a session sends: `chat` for text. */
export const SentType = Type.String({ minLength: 1, maxLength: 32 });

export const InboundMessage = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    from: Type.String(),
    to: Type.String(),
    body: Type.String(),
    type: Type.String(),
    timestamp: UnixSeconds,
    hasMedia: Type.Boolean(),
    media: Type.Union([MediaInfo, Type.Null()]),
    /** The id of the message this one quotes. */
    replyTo: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type InboundMessage = Static<typeof InboundMessage>;

export const SentMessage = Type.Object(
  { id: Type.String({ minLength: 1 }), to: Type.String(), timestamp: UnixSeconds, type: SentType },
  { additionalProperties: false },
);
export type SentMessage = Static<typeof SentMessage>;

/** WhatsApp's ack levels: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
export const MessageAck = Type.Object(
  { id: Type.String({ minLength: 1 }), ack: Type.Integer({ minimum: -1, maximum: 4 }) },
  { additionalProperties: false },
);
export type MessageAck = Static<typeof MessageAck>;

export const Reaction = Type.Object(
  {
    /** The message reacted to. */
    id: Type.String({ minLength: 1 }),
    /** Empty when the reaction was removed. */
    emoji: Type.String({ maxLength: 64 }),
    from: Type.String(),
  },
  { additionalProperties: false },
);
export type Reaction = Static<typeof Reaction>;

export const Revoked = Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false });
export type Revoked = Static<typeof Revoked>;

/** A client's `Idempotency-Key`: printable ASCII, as HTTP headers carry it. */
export const IdempotencyKey = Type.String({ pattern: '^[\\x21-\\x7E]{1,255}$' });

export const PhoneNumber = Type.String({
  pattern: '^\\+?[0-9]{6,15}$',
  description: 'International number, digits only (a leading + is allowed)',
});
