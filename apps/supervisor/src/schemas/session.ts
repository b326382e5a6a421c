/**
 * The Session resource and the request bodies of the session routes, declared once; the store, the routes and
 * the OpenAPI document all derive from these.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ChatId, EngineName, Me, MessageText, PhoneNumber, SentMessage, SessionId } from '@wsm/ipc-protocol';
import { SESSION_STATUSES, type SessionStatus as Status } from '../session/state-machine.js';

export const SessionStatus = Type.Unsafe<Status>({ type: 'string', enum: [...SESSION_STATUSES] });
export const DesiredState = Type.Union([Type.Literal('running'), Type.Literal('stopped')]);
export type DesiredState = Static<typeof DesiredState>;

const IsoTime = Type.String({ format: 'date-time' });

export const LastError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  at: IsoTime,
});
export type LastError = Static<typeof LastError>;

export const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Free-form data of the caller, kept with the session',
});

export const WebhookTarget = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 }),
    events: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
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
  engine: EngineName,
  status: SessionStatus,
  desiredState: DesiredState,
  pid: Type.Union([Type.Integer(), Type.Null()]),
  /** The session's Chromium (webjs), leader of its own process group. */
  browserPid: Type.Union([Type.Integer(), Type.Null()]),
  restarts: Type.Integer({ minimum: 0 }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  startedAt: Type.Union([IsoTime, Type.Null()]),
  readyAt: Type.Union([IsoTime, Type.Null()]),
  lastError: Type.Union([LastError, Type.Null()]),
  me: Type.Union([Me, Type.Null()]),
  metadata: Metadata,
  webhooks: Type.Array(WebhookTarget),
  /** The last sample of the session's memory: worker and browser process tree, PSS. */
  memory: Type.Union([
    Type.Object({
      workerBytes: Type.Integer(),
      browserBytes: Type.Integer(),
      totalBytes: Type.Integer(),
      processes: Type.Integer(),
      sampledAt: Type.String({ format: 'date-time' }),
    }),
    Type.Null(),
  ]),
  /** The session's proxy (webjs), its password masked. */
  proxy: Type.Union([Type.String(), Type.Null()]),
});
export type Session = Static<typeof Session>;

export const SessionParams = Type.Object({ sessionId: SessionId });

export const StartSessionBody = Type.Object(
  { sessionId: SessionId, engine: Type.Optional(EngineName) },
  { additionalProperties: false },
);

export const CreateSessionBody = Type.Object(
  {
    sessionId: SessionId,
    engine: Type.Optional(EngineName),
    start: Type.Optional(Type.Boolean({ default: true })),
    metadata: Type.Optional(Metadata),
    webhooks: Type.Optional(Type.Array(WebhookTarget, { maxItems: 16 })),
    proxy: Type.Optional(ProxyUrl),
  },
  { additionalProperties: false },
);

export const SendTextBody = Type.Object({ to: ChatId, text: MessageText }, { additionalProperties: false });

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
