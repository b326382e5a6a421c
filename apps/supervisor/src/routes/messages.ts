/** Sending messages through a session, idempotently with an `Idempotency-Key` header. */
import { Type } from '@sinclair/typebox';
import { IdempotencyKey } from '@wsm/ipc-protocol';
import { normalizeChatId } from '../messages/chat-id.js';
import { ErrorReply } from '../schemas/errors.js';
import { SendTextBody, SentMessageReply, SessionParams } from '../schemas/session.js';
import type { App } from '../types.js';

export async function messageRoutes(app: App): Promise<void> {
  const { sessions } = app;

  app.post(
    '/sessions/:sessionId/messages',
    {
      schema: {
        tags: ['messages'],
        description:
          'Sends a text. With an Idempotency-Key header the same key returns the first result and sends nothing again, also across worker crashes and supervisor restarts.',
        params: SessionParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        body: SendTextBody,
        response: {
          201: SentMessageReply,
          400: ErrorReply,
          404: ErrorReply,
          409: ErrorReply,
          422: ErrorReply,
          503: ErrorReply,
          504: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const session = sessions.require(request.params.sessionId);
      const to = normalizeChatId(request.body.to, 'body.to');
      const { text } = request.body;
      const { message, replayed } = await app.sender.send(session, to, text, request.headers['idempotency-key']);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(message);
    },
  );
}
