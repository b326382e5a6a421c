/** What a ready session does besides sending: react to a message, mark a chat read, check a number. */
import { Type } from '@sinclair/typebox';
import { Emoji, PhoneNumber, WorkerErrorCode } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import { normalizeChatId } from '../messages/chat-id.js';
import { reply as documented, withExample } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals, WORKER_REFUSALS } from '../schemas/errors.js';
import { Recipient, SessionParams } from '../schemas/session.js';
import type { App } from '../types.js';
import { MessageParams } from './media.js';

const READY = [...API_REFUSALS, Refused.invalidSessionId, Refused.sessionNotFound, new Errors.SESSION_NOT_READY('shop-42', 'qr')] as const;
const messageNotFound = {
  statusCode: 404,
  code: WorkerErrorCode.MESSAGE_NOT_FOUND,
  message: "no message 'false_15550002222@c.us_3EB0…' in this session",
} as const;

const ReactionReply = Type.Object({ id: Type.String({ description: 'The message reacted to' }), emoji: Type.String() });
const ReadReply = Type.Object({ chatId: Type.String({ description: 'The chat marked read, as a WhatsApp id' }) });
const NumberReply = Type.Object({
  exists: Type.Boolean({ description: 'Whether the number has a WhatsApp account' }),
  id: Type.Union([Type.String(), Type.Null()], { description: 'Its WhatsApp id (send to this one), or null' }),
});

export async function chatRoutes(app: App): Promise<void> {
  const { sessions } = app;

  app.post(
    '/sessions/:sessionId/messages/:messageId/reaction',
    {
      schema: {
        tags: ['messages'],
        operationId: 'reactToMessage',
        summary: 'React to a message',
        description:
          'Puts an emoji reaction on a received or sent message, replacing the session\'s earlier one; an empty `emoji` removes it. ' +
          'It comes back as a `message.reaction` event (WhatsApp reports the session\'s own reactions too). Needs status `ready`.',
        params: MessageParams,
        body: withExample(Type.Object({ emoji: Type.Unsafe<string>({ ...Emoji, description: 'One emoji; empty to remove the reaction' }) }, { additionalProperties: false }), {
          emoji: '👍',
        }),
        response: {
          200: documented(ReactionReply, 'Reacted', { example: { id: 'false_15550002222@c.us_3EB0CC719261E6B8AB2E', emoji: '👍' } }),
          ...refusals(...READY, new Errors.VALIDATION_FAILED('body.emoji must be a string'), ...JSON_BODY_REFUSALS, messageNotFound, ...WORKER_REFUSALS),
        },
      },
    },
    async (request) => {
      const session = sessions.require(request.params.sessionId);
      session.assertReady();
      await session.command('react', { messageId: request.params.messageId, emoji: request.body.emoji });
      return { id: request.params.messageId, emoji: request.body.emoji };
    },
  );

  app.post(
    '/sessions/:sessionId/chats/:chatId/read',
    {
      schema: {
        tags: ['messages'],
        operationId: 'markChatRead',
        summary: 'Mark a chat read',
        description:
          'Marks every message of a chat read: the other party sees blue ticks (if their privacy settings show them). The chat is a phone number ' +
          'or a WhatsApp id, as for sending. Needs status `ready`.',
        params: Type.Object({ sessionId: SessionParams.properties.sessionId, chatId: Recipient }),
        response: {
          200: documented(ReadReply, 'Marked read', { example: { chatId: '15550002222@c.us' } }),
          ...refusals(...READY, new Errors.INVALID_CHAT_ID('params.chatId', 'not-a-number'), ...WORKER_REFUSALS),
        },
      },
    },
    async (request) => {
      const session = sessions.require(request.params.sessionId);
      const chatId = normalizeChatId(request.params.chatId, 'params.chatId');
      session.assertReady();
      await session.command('markRead', { chatId });
      return { chatId };
    },
  );

  app.get(
    '/sessions/:sessionId/contacts/:phone',
    {
      schema: {
        tags: ['messages'],
        operationId: 'checkNumber',
        summary: 'Check whether a number is on WhatsApp',
        description:
          'Asks WhatsApp whether the number has an account, and for its WhatsApp id, the usual first call before sending to a new number. ' +
          'A send can do the same check itself with `"checkNumber": true`. Needs status `ready`.',
        params: Type.Object({
          sessionId: SessionParams.properties.sessionId,
          phone: Type.Unsafe<string>({ ...PhoneNumber, description: 'International number, digits only (a leading + is allowed)' }),
        }),
        response: {
          200: documented(NumberReply, 'Whether the number is on WhatsApp', { example: { exists: true, id: '15550002222@c.us' } }),
          ...refusals(...READY, new Errors.VALIDATION_FAILED('params.phone must match pattern "^\\+?[0-9]{6,15}$"'), ...WORKER_REFUSALS),
        },
      },
    },
    async (request) => {
      const session = sessions.require(request.params.sessionId);
      session.assertReady();
      return session.command('checkNumber', { phone: request.params.phone });
    },
  );

  app.get(
    '/sessions/:sessionId/screenshot',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'getScreenshot',
        summary: "Screenshot of the session's WhatsApp Web page",
        description:
          'A PNG of what the session\'s WhatsApp Web page shows right now (1280×900): the first thing to look at when a session is stuck ' +
          'loading, shows an unexpected screen, or asks for something. webjs sessions only, whatever their status while their worker runs.',
        params: SessionParams,
        response: {
          200: {
            description: 'The page as a PNG image',
            content: { 'image/png': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), example: '(a PNG image, 1280×900)' } },
          },
          ...refusals(
            ...API_REFUSALS,
            Refused.invalidSessionId,
            Refused.sessionNotFound,
            new Errors.NOT_WEBJS('shop-42', 'simulated'),
            { statusCode: 409, code: WorkerErrorCode.SESSION_NOT_READY, message: "no WhatsApp Web page: the session is 'initializing'" },
            ...WORKER_REFUSALS,
          ),
        },
      },
    },
    async (request, reply) => {
      const session = sessions.require(request.params.sessionId);
      if (session.engine !== 'webjs') throw new Errors.NOT_WEBJS(session.sessionId, session.engine);
      const { png } = await session.command('screenshot', {});
      return reply.type('image/png').header('cache-control', 'no-store').send(Buffer.from(png, 'base64'));
    },
  );
}
