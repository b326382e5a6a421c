/**
 * The Session resource and the request bodies of the session routes, declared once; the store, the routes and
 * the OpenAPI document all derive from these.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ENGINE_NAMES, type EngineName, MessageText, PhoneNumber, SentMessage, SessionId } from '@wsm/ipc-protocol';
import { METADATA_MAX_BYTES, METADATA_MAX_DEPTH } from './metadata.js';
import { EventTypeSchema } from '../events/envelope.js';
import { SessionMemory } from '../session/session-runtime.js';
import { SESSION_STATUSES, type SessionStatus as Status } from '../session/state-machine.js';

export const SessionStatus = Type.Unsafe<Status>({ type: 'string', enum: [...SESSION_STATUSES] });
export const DesiredState = Type.Unsafe<'running' | 'stopped'>({ type: 'string', enum: ['running', 'stopped'] });
export type DesiredState = Static<typeof DesiredState>;

const IsoTime = Type.String({ format: 'date-time' });

/**
 * `T | null` as OpenAPI 3.0's `nullable`, not `anyOf [T, null]`: the response serializer handles it directly,
 * where a union makes it try each branch on every response (it doubled the cost of GET /sessions/:id).
 */
const Nullable = <T extends TSchema>(schema: T) => Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });

/** Enums as `enum`, not unions of literals, for the same reason (and so a refusal lists the allowed values). */
export const EngineNameEnum = Type.Unsafe<EngineName>({ type: 'string', enum: [...ENGINE_NAMES] });
const Account = Type.Object({ id: Type.String(), pushname: Nullable(Type.String()) });

export const LastError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  at: IsoTime,
});
export type LastError = Static<typeof LastError>;

export const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: `Free-form data of the caller, kept with the session: at most ${METADATA_MAX_BYTES} bytes of JSON, nested at most ${METADATA_MAX_DEPTH} levels deep`,
});

export const WebhookTarget = Type.Object(
  {
    url: Type.String({
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      maxLength: 2048,
      description: 'http(s) URL the events are POSTed to; credentials in it are masked wherever the target is shown',
    }),
    events: Type.Optional(
      Type.Array(EventTypeSchema, { maxItems: 32, description: 'Only these event types (all when absent)' }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookTarget = Static<typeof WebhookTarget>;

export const ProxyUrl = Type.String({
  pattern: '^(https?|socks[45]?)://[^\\s]+$',
  maxLength: 2048,
  description: 'Proxy of a webjs session, e.g. http://user:pass@host:3128 or socks5://host:1080',
});

export const Session = Type.Object({
  sessionId: SessionId,
  engine: EngineNameEnum,
  status: SessionStatus,
  desiredState: DesiredState,
  pid: Nullable(Type.Integer()),
  /** The session's Chromium (webjs), leader of its own process group. */
  browserPid: Nullable(Type.Integer()),
  restarts: Type.Integer({ minimum: 0 }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  startedAt: Nullable(IsoTime),
  readyAt: Nullable(IsoTime),
  lastError: Nullable(LastError),
  me: Nullable(Account),
  metadata: Metadata,
  webhooks: Type.Array(WebhookTarget),
  /** The last sample of the session's memory: worker and browser process tree, PSS. */
  memory: Nullable(SessionMemory),
  /** The session's proxy (webjs), its password masked. */
  proxy: Nullable(Type.String()),
});
export type Session = Static<typeof Session>;

export const SessionParams = Type.Object({ sessionId: SessionId });

export const StartSessionBody = Type.Object(
  { sessionId: SessionId, engine: Type.Optional(EngineNameEnum) },
  { additionalProperties: false },
);

export const CreateSessionBody = Type.Object(
  {
    sessionId: SessionId,
    engine: Type.Optional(EngineNameEnum),
    start: Type.Optional(Type.Boolean({ default: true })),
    metadata: Type.Optional(Metadata),
    webhooks: Type.Optional(Type.Array(WebhookTarget, { maxItems: 16 })),
    proxy: Type.Optional(ProxyUrl),
  },
  { additionalProperties: false },
);

/** A recipient as the caller writes it: normalized (and refused when it is neither) by messages/chat-id.ts. */
export const Recipient = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'A phone number in international format (`+1 555 000 2222`) or a WhatsApp id (`15550002222@c.us`, `…@g.us`)',
});

export const SendTextBody = Type.Object({ to: Recipient, text: MessageText }, { additionalProperties: false });

export const UpdateSessionBody = Type.Object(
  {
    metadata: Type.Optional(Metadata),
    webhooks: Type.Optional(Type.Array(WebhookTarget, { maxItems: 16 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PairingCodeBody = Type.Object({ phoneNumber: PhoneNumber }, { additionalProperties: false });
export const PairingCodeReply = Type.Object({ code: Type.String() });
export const QrReply = Type.Object({ qr: Type.String() });

export const SentMessageReply = SentMessage;
