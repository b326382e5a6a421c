/** The bytes of a message's media: from this node's media store, or downloaded through the session's worker. */
import { open } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { MessageId, WorkerErrorCode } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import type { StoredMedia } from '../media/media-store.js';
import { API_REFUSALS, Refused, refusals, WORKER_REFUSALS } from '../schemas/errors.js';
import { SessionParams } from '../schemas/session.js';
import type { App } from '../types.js';

export const MessageParams = Type.Object({
  sessionId: SessionParams.properties.sessionId,
  messageId: Type.Unsafe<string>({ ...MessageId, description: 'A message id, as in `message.received` or a send\'s answer' }),
});

const Binary = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

/** `attachment; filename*=` in RFC 5987 form, so any file name (quotes, non-ASCII) is carried intact. */
const disposition = (filename: string | null): string =>
  filename === null ? 'inline' : `inline; filename*=UTF-8''${encodeURIComponent(filename)}`;

export async function mediaRoutes(app: App): Promise<void> {
  const { sessions, media, config } = app;

  app.get(
    '/sessions/:sessionId/messages/:messageId/media',
    {
      schema: {
        tags: ['messages'],
        operationId: 'getMessageMedia',
        summary: "Download a message's media",
        description:
          'The bytes of a received or sent message\'s image, video, audio, voice note, document or sticker, with its `content-type`, ' +
          '`content-length` and its file name in `content-disposition`. Received media is downloaded as soon as the message arrives and kept on ' +
          'the node under DATA_DIR for MEDIA_RETENTION_HOURS (within MEDIA_STORE_MAX_MB), so it outlives worker restarts and the phone deleting it; ' +
          'media not kept (older, or received on another node of a cluster) is downloaded again through the session, which must then be `ready`, ' +
          'while WhatsApp still has it (`410` once it does not).',
        params: MessageParams,
        response: {
          200: {
            description: 'The media bytes, with their own `content-type` (e.g. `image/jpeg`, `application/pdf`), `content-length` and `content-disposition`',
            content: { '*/*': { schema: Binary, example: '(the bytes of photo.jpg)' } },
          },
          ...refusals(
            ...API_REFUSALS,
            Refused.invalidSessionId,
            Refused.sessionNotFound,
            { statusCode: 404, code: WorkerErrorCode.MEDIA_NOT_FOUND, message: "message 'true_15550002222@c.us_3EB0E8262C42BD7A8917' has no media" },
            { statusCode: 404, code: WorkerErrorCode.MESSAGE_NOT_FOUND, message: "no message 'false_15550002222@c.us_3EB0…' in this session" },
            new Errors.SESSION_NOT_READY('shop-42', 'qr'),
            {
              statusCode: 410,
              code: WorkerErrorCode.MEDIA_EXPIRED,
              message: "WhatsApp no longer has the media of message 'false_15550002222@c.us_3EB0…' (expired or deleted on the phone)",
            },
            ...WORKER_REFUSALS,
          ),
        },
      },
    },
    async (request, reply) => {
      const { sessionId, messageId } = request.params;
      const session = sessions.require(sessionId);
      let stored: StoredMedia | undefined = await media.get(sessionId, messageId);
      let file = stored === undefined ? undefined : await open(stored.path).catch(() => undefined);
      if (stored === undefined || file === undefined) {
        // Not kept here (or pruned between the lookup and the open): the session's worker fetches it.
        session.assertReady();
        stored = await media.fetch(sessionId, messageId, (id, path) =>
          session.command('downloadMedia', { messageId: id, path }, config.media.commandTimeoutMs),
        );
        file = await open(stored.path);
      }
      // The open handle keeps the bytes readable even if pruning unlinks the file meanwhile.
      const stream = file.createReadStream();
      return reply
        .type(stored.mimetype)
        .header('content-length', String(stored.size))
        .header('content-disposition', disposition(stored.filename))
        .header('cache-control', 'private, max-age=86400, immutable')
        .send(stream as unknown as Buffer);
    },
  );
}
