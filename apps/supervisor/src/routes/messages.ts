/**
 * Sending messages through a session, idempotently with an `Idempotency-Key` header: text, or media as JSON
 * (a URL or base64) or as a multipart/form-data upload. Request parsing is messages/send-request.ts's; this
 * file declares the route and hands the OutgoingMessage to the sender.
 */
import multipart from '@fastify/multipart';
import { CloneType, Type } from '@sinclair/typebox';
import { IdempotencyKey, WorkerErrorCode } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import { mediaIntakeOf } from '../media/media-intake.js';
import type { OutgoingMessage } from '../messages/outgoing-message.js';
import { outgoingFromForm, outgoingFromJson, type SendRequest } from '../messages/send-request.js';
import { reply as documented } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals, WORKER_REFUSALS } from '../schemas/errors.js';
import { sentMessage } from '../schemas/examples.js';
import { SendMessageBody, SendMessageForm } from '../schemas/message.js';
import { SentMessageReply, SessionParams } from '../schemas/session.js';
import type { SessionController } from '../session/session-controller.js';
import type { App } from '../types.js';

/** Room in a JSON send besides the base64: `to`, a 4096-character caption written as \u escapes, names. */
const JSON_FIELDS_ALLOWANCE = 64 * 1024;

/**
 * The JSON body limit of the send route: base64 of a MEDIA_MAX_BYTES file plus its other fields, or
 * BODY_LIMIT_BYTES when that is larger. Every other route keeps BODY_LIMIT_BYTES.
 */
export function sendBodyLimit(mediaMaxBytes: number, bodyLimitBytes: number): number {
  return Math.max(bodyLimitBytes, Math.ceil(mediaMaxBytes / 3) * 4 + JSON_FIELDS_ALLOWANCE);
}

export async function messageRoutes(app: App): Promise<void> {
  // Its own scope: multipart bodies are taken here only; every other route still answers them 415.
  await app.register(sendRoute);
}

async function sendRoute(app: App): Promise<void> {
  const { sessions, config } = app;
  const intake = mediaIntakeOf(config);
  await app.register(multipart, { limits: { fileSize: config.media.maxBytes } });

  app.post(
    '/sessions/:sessionId/messages',
    {
      bodyLimit: sendBodyLimit(config.media.maxBytes, config.bodyLimitBytes),
      schema: {
        tags: ['messages'],
        operationId: 'sendMessage',
        summary: 'Send a text or media message',
        description:
          'Sends from a `ready` session, to a phone number or WhatsApp id (normalized: `+1 (555) 000-2222` is `15550002222@c.us`), exactly one of: ' +
          '`text`, or `media` as `{url}` (fetched by the service: http(s) only, at most 5 redirects, `MEDIA_FETCH_TIMEOUT_MS`, ' +
          'and with `BLOCK_PRIVATE_ADDRESSES=true` no loopback, private, link-local or metadata address) or `{data}` (base64, or a base64 `data:` URL). ' +
          'Large files are better sent as `multipart/form-data`: the part `file` holds the bytes, every other field is a form field of the same name ' +
          '(`asDocument=true`). Media is at most `MEDIA_MAX_BYTES` (64 MiB by default; a JSON body may be as large as its base64). ' +
          'The mimetype is the given one, else the answer\'s or the part\'s content-type, else the file name\'s extension, else what the bytes are; ' +
          'a declared image, video or audio must be one (`415 WSM_MEDIA_TYPE_MISMATCH`), while documents (`application/*`, `text/*`, or `asDocument: true`) take any bytes. ' +
          '`replyTo` quotes an earlier message. ' +
          'With an Idempotency-Key header the same key returns the first result and sends nothing again (a URL is then not fetched again), also across worker crashes and supervisor restarts; ' +
          'the same key with a different message is refused. The send is recorded as a `message.sent` event, its delivery as `message.ack` events.',
        params: SessionParams,
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            CloneType(IdempotencyKey, { description: 'Up to 255 printable ASCII characters, unique per message you mean to send once' }),
          ),
        }),
        body: {
          content: {
            'application/json': { schema: SendMessageBody },
            // Documents the form; its fields are checked as they are read (plugins/validation.ts).
            'multipart/form-data': { schema: SendMessageForm },
          },
        },
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
            new Errors.VALIDATION_FAILED('body must have exactly one of text or media'),
            new Errors.INVALID_CHAT_ID('body.to', 'not-a-number'),
            new Errors.MEDIA_INVALID_BASE64("the character \"#\" at position 12"),
            new Errors.MEDIA_MISSING(),
            new Errors.MEDIA_EMPTY(),
            new Errors.MEDIA_URL_REFUSED('ftp://files.example.com/a.pdf', 'only http and https URLs are fetched, not ftp'),
            new Errors.ADDRESS_BLOCKED('files.internal', '10.0.0.7'),
            ...JSON_BODY_REFUSALS,
            new Errors.MEDIA_TOO_LARGE(64 * 1024 * 1024),
            new Errors.MEDIA_TYPE_MISMATCH('image/png', 'a PDF'),
            Refused.sessionNotFound,
            new Errors.SESSION_NOT_READY('shop-42', 'qr'),
            new Errors.IDEMPOTENCY_MISMATCH('order-1001-confirmation'),
            new Errors.MEDIA_FETCH_FAILED('https://shop.example.com/invoices/1001.pdf', 'it answered 404 Not Found'),
            new Errors.NUMBER_NOT_ON_WHATSAPP('15550000000'),
            { statusCode: 404, code: WorkerErrorCode.MESSAGE_NOT_FOUND, message: "replyTo 'false_15550002222@c.us_3EB0…' is not a message this session knows" },
            {
              statusCode: 422,
              code: WorkerErrorCode.MEDIA_REJECTED,
              message:
                'WhatsApp Web could not send this video/mp4 (media probe failed: video/mp4 has no video track this browser can decode); a format Chromium cannot play (HEVC video, QuickTime .mov) fails here: send it with asDocument, or convert it to H.264/AAC MP4',
            },
            ...WORKER_REFUSALS,
          ),
        },
      },
    },
    async (request, reply) => {
      const context = { intake, session: () => sessions.require(request.params.sessionId) };
      const { session, message }: SendRequest<SessionController> = request.isMultipart()
        ? await outgoingFromForm(request, context)
        : await outgoingFromJson(request.body as SendMessageBody, context);
      // The sender owns the message's spool file from here: it moves it into the media store or removes it.
      const result = await app.sender.send(session, message, request.headers['idempotency-key']);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(result.message);
    },
  );
}
