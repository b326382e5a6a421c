/** `engine: "simulated"` only: act as the phone, the other party and the network. */
import { Type } from '@sinclair/typebox';
import { Emoji, InboundMessage, MessageId, MessageText, WorkerErrorCode } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import { normalizeChatId } from '../messages/chat-id.js';
import { reply as documented, withExample } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals, WORKER_REFUSALS } from '../schemas/errors.js';
import { disconnectedSession, inboundMessage, simulatedReadySession } from '../schemas/examples.js';
import { Recipient, Session, SessionParams } from '../schemas/session.js';
import type { SessionController } from '../session/session-controller.js';
import type { App } from '../types.js';
import { mediaIntakeOf } from '../media/media-intake.js';
import { sendBodyLimit } from './messages.js';

/** Refusals of every simulate route: the session must exist and run the simulated engine. */
const SIMULATED = [...API_REFUSALS, Refused.invalidSessionId, Refused.sessionNotFound, Refused.notSimulated] as const;
const notReady = new Errors.SESSION_NOT_READY('shop-42', 'qr');
const messageNotFound = { statusCode: 404, code: WorkerErrorCode.MESSAGE_NOT_FOUND, message: "no message 'true_1555…' in this session" } as const;

export async function simulateRoutes(app: App): Promise<void> {
  const { sessions } = app;

  const simulated = (sessionId: string): SessionController => {
    const session = sessions.require(sessionId);
    if (session.engine !== 'simulated') throw new Errors.NOT_SIMULATED(sessionId, session.engine);
    return session;
  };
  const ready = (session: SessionController): SessionController => {
    session.assertReady();
    return session;
  };

  app.post(
    '/sessions/:sessionId/simulate/scan',
    {
      schema: {
        tags: ['simulate'],
        operationId: 'simulateScan',
        summary: 'Scan the QR code (simulated phone)',
        description:
          'The phone links the session: it goes `authenticated`, then `ready`, and remembers the pairing, so later starts come back `ready` ' +
          'without a scan until a logout. Needs status `qr`. After a pairing code, the account is the number it was requested for.',
        params: SessionParams,
        response: {
          200: documented(Session, 'The session, ready', { example: simulatedReadySession }),
          ...refusals(...SIMULATED, new Errors.QR_NOT_AVAILABLE('shop-42', 'ready'), ...WORKER_REFUSALS),
        },
      },
    },
    async (request) => {
      const session = simulated(request.params.sessionId);
      session.requireQr();
      await session.command('simulate.scan', {});
      return sessions.requireView(session.sessionId);
    },
  );

  const intake = mediaIntakeOf(app.config);
  const InboundMedia = Type.Object(
    {
      data: Type.String({ minLength: 1, description: 'The media in base64 (or a base64 `data:` URL)' }),
      mimetype: Type.String({ minLength: 1, maxLength: 255 }),
      filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    },
    { additionalProperties: false },
  );

  app.post(
    '/sessions/:sessionId/simulate/inbound',
    {
      bodyLimit: sendBodyLimit(app.config.media.maxBytes, app.config.bodyLimitBytes),
      schema: {
        tags: ['simulate'],
        operationId: 'simulateInbound',
        summary: 'Receive a message (simulated other party)',
        description:
          'Someone sends the session a text, or media (`text` is then its caption, optional), optionally quoting one of the session\'s ' +
          'messages (`replyTo`): it is recorded as a `message.received` event before this answers, and received media can be downloaded ' +
          'with `GET /sessions/{sessionId}/messages/{messageId}/media`. Needs status `ready`.',
        params: SessionParams,
        body: withExample(
          Type.Object(
            { from: Recipient, text: Type.Optional(MessageText), media: Type.Optional(InboundMedia), replyTo: Type.Optional(MessageId) },
            { additionalProperties: false },
          ),
          { from: '+1 555 000 2222', text: 'hello' },
        ),
        response: {
          200: documented(InboundMessage, 'The message as the session received it (the `data` of its `message.received` event)', {
            example: inboundMessage,
          }),
          ...refusals(
            ...SIMULATED,
            new Errors.VALIDATION_FAILED('body needs text, media or both'),
            new Errors.INVALID_CHAT_ID('body.from', 'not-a-number'),
            new Errors.MEDIA_INVALID_BASE64('the character "#" at position 12'),
            new Errors.MEDIA_EMPTY(),
            ...JSON_BODY_REFUSALS,
            new Errors.MEDIA_TOO_LARGE(64 * 1024 * 1024),
            new Errors.MEDIA_TYPE_MISMATCH('image/png', 'a PDF'),
            notReady,
            messageNotFound,
            ...WORKER_REFUSALS,
          ),
        },
      },
    },
    async (request) => {
      const { text, media, replyTo } = request.body;
      if (text === undefined && media === undefined) throw new Errors.VALIDATION_FAILED('body needs text, media or both');
      const from = normalizeChatId(request.body.from, 'body.from');
      const session = ready(simulated(request.params.sessionId));
      const params = { from, ...(text === undefined ? {} : { text }), ...(replyTo === undefined ? {} : { replyTo }) };
      if (media === undefined) return session.command('simulate.inbound', params);
      const wanted = { mimetype: media.mimetype, filename: media.filename, asDocument: false, asVoice: false, asSticker: false };
      const spooled = await intake.fromBase64(media.data, wanted);
      try {
        const file = { path: spooled.path, mimetype: spooled.mimetype, filename: spooled.filename, size: spooled.size };
        return await session.command('simulate.inbound', { ...params, media: file }, app.config.media.commandTimeoutMs);
      } finally {
        // The simulated WhatsApp keeps its own copy (as WhatsApp's servers do); the spool file was only the way in.
        await intake.discard(spooled);
      }
    },
  );

  app.post(
    '/sessions/:sessionId/simulate/allocate',
    {
      schema: {
        tags: ['simulate'],
        operationId: 'simulateAllocate',
        summary: 'Grow the worker (simulated memory leak)',
        description:
          'The simulated client leaks memory and keeps it: for testing SESSION_MAX_MEMORY_MB recycling. Needs a running worker.',
        params: SessionParams,
        body: withExample(Type.Object({ megabytes: Type.Integer({ minimum: 1, maximum: 4096 }) }, { additionalProperties: false }), {
          megabytes: 200,
        }),
        response: {
          200: documented(Type.Object({ heldMegabytes: Type.Integer({ description: 'All the worker holds so far' }) }), 'Allocated', {
            example: { heldMegabytes: 200 },
          }),
          ...refusals(...SIMULATED, new Errors.VALIDATION_FAILED('body.megabytes must be <= 4096'), ...JSON_BODY_REFUSALS, ...WORKER_REFUSALS),
        },
      },
    },
    async (request) => {
      const session = simulated(request.params.sessionId);
      return session.command('simulate.allocate', request.body);
    },
  );

  app.post(
    '/sessions/:sessionId/simulate/disconnect',
    {
      schema: {
        tags: ['simulate'],
        operationId: 'simulateDisconnect',
        summary: 'Drop the connection (simulated network)',
        description:
          "WhatsApp's connection drops: the session goes `disconnected` and comes back `ready` by itself about a second later. Needs status `ready`.",
        params: SessionParams,
        response: {
          200: documented(Session, 'The session, disconnected', { example: disconnectedSession }),
          ...refusals(...SIMULATED, notReady, ...WORKER_REFUSALS),
        },
      },
    },
    async (request) => {
      const session = ready(simulated(request.params.sessionId));
      await session.command('simulate.disconnect', {});
      return sessions.requireView(session.sessionId);
    },
  );

  app.post(
    '/sessions/:sessionId/simulate/reaction',
    {
      schema: {
        tags: ['simulate'],
        operationId: 'simulateReaction',
        summary: 'React to a message (simulated other party)',
        description:
          'Someone reacts to one of the session\'s messages (sent or received); an empty `emoji` removes their reaction. It is recorded as a ' +
          '`message.reaction` event before this answers. Needs status `ready`.',
        params: SessionParams,
        body: withExample(Type.Object({ messageId: MessageId, emoji: Emoji, from: Recipient }, { additionalProperties: false }), {
          messageId: 'true_15550002222@c.us_3EB0E8262C42BD7A8917',
          emoji: '❤️',
          from: '+1 555 000 2222',
        }),
        response: {
          200: documented(Type.Object({}), 'Reacted', { example: {} }),
          ...refusals(
            ...SIMULATED,
            new Errors.INVALID_CHAT_ID('body.from', 'not-a-number'),
            ...JSON_BODY_REFUSALS,
            notReady,
            messageNotFound,
            ...WORKER_REFUSALS,
          ),
        },
      },
    },
    async (request) => {
      const session = ready(simulated(request.params.sessionId));
      const from = normalizeChatId(request.body.from, 'body.from');
      return session.command('simulate.reaction', { messageId: request.body.messageId, emoji: request.body.emoji, from });
    },
  );

  app.post(
    '/sessions/:sessionId/simulate/revoke',
    {
      schema: {
        tags: ['simulate'],
        operationId: 'simulateRevoke',
        summary: 'Delete a message for everyone (simulated other party)',
        description:
          'The sender of a message deletes it for everyone: it is recorded as a `message.revoked` event before this answers, and the simulated ' +
          'WhatsApp forgets it (its media can no longer be downloaded through the session; a copy this node already keeps stays). Needs status `ready`.',
        params: SessionParams,
        body: withExample(Type.Object({ messageId: MessageId }, { additionalProperties: false }), {
          messageId: 'false_15550002222@c.us_3EB0CC719261E6B8AB2E',
        }),
        response: {
          200: documented(Type.Object({}), 'Revoked', { example: {} }),
          ...refusals(...SIMULATED, new Errors.VALIDATION_FAILED('body.messageId must be a string'), ...JSON_BODY_REFUSALS, notReady, messageNotFound, ...WORKER_REFUSALS),
        },
      },
    },
    async (request) => {
      const session = ready(simulated(request.params.sessionId));
      return session.command('simulate.revoke', { messageId: request.body.messageId });
    },
  );
}
