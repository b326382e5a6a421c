/** Sending messages through a session, idempotently with an `Idempotency-Key` header. */
import { CloneType, Type } from '@sinclair/typebox';
import { IdempotencyKey } from '@wsm/ipc-protocol';
import { normalizeChatId } from '../messages/chat-id.js';
import { textRequestHash } from '../messages/message-sender.js';
import { Errors } from '../errors.js';
import { reply as documented } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals, WORKER_REFUSALS } from '../schemas/errors.js';
import { sentMessage } from '../schemas/examples.js';
import { SendTextBody, SentMessageReply, SessionParams } from '../schemas/session.js';
import type { App } from '../types.js';

export async function messageRoutes(app: App): Promise<void> {
  const { sessions } = app;

  app.post(
    '/sessions/:sessionId/messages',
    {
      schema: {
        tags: ['messages'],
        operationId: 'sendMessage',
        summary: 'Send a text message',
        description:
          'Sends a text from a `ready` session to a phone number or WhatsApp id (normalized: `+1 (555) 000-2222` is `15550002222@c.us`). ' +
          'With an Idempotency-Key header the same key returns the first result and sends nothing again, also across worker crashes and supervisor restarts; ' +
          'the same key with a different message is refused. The send is recorded as a `message.sent` event, its delivery as `message.ack` events.',
        params: SessionParams,
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            CloneType(IdempotencyKey, { description: 'Up to 255 printable ASCII characters, unique per message you mean to send once' }),
          ),
        }),
        body: SendTextBody,
        response: {
          201: documented(SentMessageReply, 'Sent (or, with a key used before for this message, the first result again)', {
            example: sentMessage,
            headers: {
              'idempotent-replayed': Type.Unsafe<'true'>({
                type: 'string',
                enum: ['true'],
                description: 'Present when this is the first result of an earlier request with the same Idempotency-Key: nothing was sent now',
              }),
            },
          }),
          ...refusals(
            ...API_REFUSALS,
            Refused.invalidSessionId,
            new Errors.VALIDATION_FAILED('body.text must be a string'),
            new Errors.INVALID_CHAT_ID('body.to', 'not-a-number'),
            ...JSON_BODY_REFUSALS,
            Refused.sessionNotFound,
            new Errors.SESSION_NOT_READY('shop-42', 'qr'),
            new Errors.IDEMPOTENCY_MISMATCH('order-1001-confirmation'),
            ...WORKER_REFUSALS,
          ),
        },
      },
    },
    async (request, reply) => {
      const session = sessions.require(request.params.sessionId);
      const to = normalizeChatId(request.body.to, 'body.to');
      const { text } = request.body;
      const outgoing = { to, content: { kind: 'text' as const, text }, requestHash: textRequestHash(to, text) };
      const { message, replayed } = await app.sender.send(session, outgoing, request.headers['idempotency-key']);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(message);
    },
  );
}
