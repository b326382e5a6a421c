/**
 * The Session resource and the request bodies of the session routes, declared once; the store, the routes and
 * the OpenAPI document all derive from these.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ENGINE_NAMES, type EngineName, PhoneNumber, SentMessage, SessionId } from '@wsm/ipc-protocol';
import { withExample } from './documented.js';
import { METADATA_MAX_BYTES, METADATA_MAX_DEPTH } from './metadata.js';
import { EventTypeSchema } from '../events/envelope.js';
import { SessionMemory } from '../session/session-runtime.js';
import { SESSION_STATUSES, type SessionStatus as Status } from '../session/state-machine.js';

export const SessionStatus = Type.Unsafe<Status>({
  type: 'string',
  enum: [...SESSION_STATUSES],
  description: 'Where the session is in its lifecycle (see the status table in docs/api.md)',
});
export const DesiredState = Type.Unsafe<'running' | 'stopped'>({
  type: 'string',
  enum: ['running', 'stopped'],
  description: 'Whether the session is meant to run: kept across supervisor restarts, which start again every `running` session',
});
export type DesiredState = Static<typeof DesiredState>;

const IsoTime = Type.String({ format: 'date-time' });

/**
 * `T | null` as OpenAPI 3.0's `nullable`, not `anyOf [T, null]`: the response serializer handles it directly,
 * where a union makes it try each branch on every response (it doubled the cost of GET /sessions/:id).
 */
const Nullable = <T extends TSchema>(schema: T) => Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });

/** Enums as `enum`, not unions of literals, for the same reason (and so a refusal lists the allowed values). */
export const EngineNameEnum = Type.Unsafe<EngineName>({
  type: 'string',
  enum: [...ENGINE_NAMES],
  description: '`webjs` (whatsapp-web.js in Chromium) or `simulated` (a phone-less WhatsApp for tests)',
});
const Account = Type.Object(
  {
    id: Type.String({ description: 'WhatsApp id of the linked account, e.g. `15550001111@c.us`' }),
    pushname: Nullable(Type.String({ description: 'Its display name' })),
  },
  { description: 'The linked WhatsApp account, once known' },
);

export const LastError = Type.Object(
  {
    code: Type.String({ description: 'A `WSM_` code (docs/api.md lists them)' }),
    message: Type.String(),
    at: IsoTime,
  },
  { description: 'Why the worker last died or the engine last failed; cleared by starting or restarting the session' },
);
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
  { additionalProperties: false, title: 'WebhookTarget', description: "A receiver of the session's events" },
);
export type WebhookTarget = Static<typeof WebhookTarget>;

export const ProxyUrl = Type.String({
  pattern: '^(https?|socks[45]?)://[^\\s]+$',
  maxLength: 2048,
  description: 'Proxy of a webjs session, e.g. http://user:pass@host:3128 or socks5://host:1080',
});

export const Session = Type.Object(
  {
    sessionId: SessionId,
    engine: EngineNameEnum,
    status: SessionStatus,
    desiredState: DesiredState,
    pid: Nullable(Type.Integer({ description: "The worker process's pid while one runs" })),
    /** The session's Chromium (webjs), leader of its own process group. */
    browserPid: Nullable(Type.Integer({ description: "The session's Chromium (webjs) while it runs" })),
    restarts: Type.Integer({ minimum: 0, description: 'Restarts after crashes, over the life of the session' }),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    startedAt: Nullable(Type.String({ format: 'date-time', description: 'When the current (or last) worker was started' })),
    readyAt: Nullable(Type.String({ format: 'date-time', description: 'When the session last became `ready`' })),
    lastError: Nullable(LastError),
    me: Nullable(Account),
    metadata: Metadata,
    webhooks: Type.Array(WebhookTarget, { description: "The session's own webhook targets (besides the global WEBHOOK_URL)" }),
    /** The last sample of the session's memory: worker and browser process tree, PSS. */
    memory: Nullable(SessionMemory),
    node: Nullable(
      Type.String({ description: 'Cluster mode: the NODE_ID of the node running the session (in every running status, `qr` included); null when none runs it, and on a single node' }),
    ),
    /** The session's proxy (webjs), its password masked. */
    proxy: Nullable(Type.String({ description: "The session's proxy (webjs), its password masked" })),
  },
  { title: 'Session', description: 'A WhatsApp session: one account, run by its own worker process' },
);
export type Session = Static<typeof Session>;

export const SessionParams = Type.Object({ sessionId: SessionId });

export const StartSessionBody = withExample(
  Type.Object({ sessionId: SessionId, engine: Type.Optional(EngineNameEnum) }, { additionalProperties: false }),
  { sessionId: 'shop-42', engine: 'simulated' },
);

export const CreateSessionBody = withExample(
  Type.Object(
    {
      sessionId: SessionId,
      engine: Type.Optional(EngineNameEnum),
      start: Type.Optional(Type.Boolean({ default: true, description: 'Start the session now' })),
      metadata: Type.Optional(Metadata),
      webhooks: Type.Optional(Type.Array(WebhookTarget, { maxItems: 16 })),
      proxy: Type.Optional(ProxyUrl),
    },
    { additionalProperties: false },
  ),
  {
    sessionId: 'shop-42',
    engine: 'webjs',
    metadata: { crmAccountId: 'A-1001' },
    webhooks: [{ url: 'https://hooks.example.com/wsm', events: ['message.received', 'session.status'] }],
  },
);

/** A recipient as the caller writes it: normalized (and refused when it is neither) by messages/chat-id.ts. */
export const Recipient = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'A phone number in international format (`+1 555 000 2222`) or a WhatsApp id (`15550002222@c.us`, `…@g.us`)',
});

export const UpdateSessionBody = withExample(
  Type.Object(
    {
      metadata: Type.Optional(Metadata),
      webhooks: Type.Optional(Type.Array(WebhookTarget, { maxItems: 16 })),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
  { metadata: { crmAccountId: 'A-2002', team: 'support' } },
);

export const PairingCodeBody = withExample(Type.Object({ phoneNumber: PhoneNumber }, { additionalProperties: false }), {
  phoneNumber: '+15550001111',
});
export const PairingCodeReply = Type.Object({
  code: Type.String({ description: 'The code to type on the phone: Linked devices → Link with phone number' }),
});
export type PairingCodeReply = Static<typeof PairingCodeReply>;
export const QrReply = Type.Object({ qr: Type.String({ description: "The QR code's text: render it as a QR code (or ask for ?format=png)" }) });

export const SentMessageReply = SentMessage;
