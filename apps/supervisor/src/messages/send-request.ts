/**
 * A send request, JSON or multipart, as the OutgoingMessage the sender takes. In this order: the fields are
 * checked (schema, then the rules across fields), then the session must exist, then the media is read: base64
 * decoded into the spool, a URL only remembered (fetched by the sender's first load(), after its idempotency
 * check). An upload is spooled while the form is read, so before all of that; every refusal removes it again.
 */
import type { FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import type { MediaIntake, MediaWanted } from '../media/media-intake.js';
import { mediaUrl } from '../media/media-fetch.js';
import { removeSpoolFile } from '../media/spool.js';
import { bodyCheck } from '../plugins/validation.js';
import { SendMessageFields, type SendMessageBody } from '../schemas/message.js';
import { normalizeChatId } from './chat-id.js';
import { fetchedMedia, spooledMedia, type MediaOptions } from './outgoing-media.js';
import type { OutgoingMessage } from './outgoing-message.js';
import { bytesHash, textHash, urlHash } from './request-hash.js';
import { readSendForm, typedFields } from './send-form.js';
import { checkMediaSource, checkSendRules } from './send-rules.js';

export interface SendRequestContext<S> {
  intake: MediaIntake;
  /** The session the message goes through: looked up once the fields are valid (404 when there is none). */
  session: () => S;
}

export interface SendRequest<S> {
  session: S;
  message: OutgoingMessage;
}

const optionsOf = (fields: { caption?: string | undefined; asDocument?: boolean | undefined; asVoice?: boolean | undefined; asSticker?: boolean | undefined }): MediaOptions => ({
  caption: fields.caption,
  asDocument: fields.asDocument === true,
  asVoice: fields.asVoice === true,
  asSticker: fields.asSticker === true,
});

const wantedOf = (options: MediaOptions, mimetype: string | undefined, filename: string | undefined): MediaWanted => ({
  mimetype,
  filename,
  asDocument: options.asDocument,
  asVoice: options.asVoice,
  asSticker: options.asSticker,
});

const base = (to: string, replyTo: string | undefined, checkNumber: boolean | undefined): Pick<OutgoingMessage, 'to' | 'replyTo' | 'checkNumber'> => ({
  to,
  ...(replyTo === undefined ? {} : { replyTo }),
  ...(checkNumber === true ? { checkNumber } : {}),
});

/** A JSON body, already checked against SendMessageBody by the route's schema. */
export async function outgoingFromJson<S>(body: SendMessageBody, context: SendRequestContext<S>): Promise<SendRequest<S>> {
  const { media } = body;
  checkSendRules({ ...body, mimetype: media?.mimetype }, media !== undefined);
  if (media !== undefined) checkMediaSource(media);
  if (media?.url !== undefined) mediaUrl(media.url);
  const to = normalizeChatId(body.to, 'body.to');
  const session = context.session();
  const { replyTo, checkNumber } = body;
  if (media === undefined) {
    const text = body.text!;
    return { session, message: { ...base(to, replyTo, checkNumber), content: { kind: 'text', text }, requestHash: textHash(to, text, replyTo) } };
  }
  const options = optionsOf(body);
  const { intake } = context;
  const remove = (spooled: { path: string }): Promise<void> => intake.discard(spooled);
  if (media.url !== undefined) {
    const { url, mimetype, filename } = media;
    const outgoing = fetchedMedia((signal) => intake.fromUrl(url, wantedOf(options, mimetype, filename), signal), options, remove);
    return {
      session,
      message: { ...base(to, replyTo, checkNumber), content: { kind: 'media', media: outgoing }, requestHash: urlHash(to, replyTo, { url, mimetype, filename }, options) },
    };
  }
  const spooled = await intake.fromBase64(media.data!, wantedOf(options, media.mimetype, media.filename));
  return {
    session,
    message: {
      ...base(to, replyTo, checkNumber),
      content: { kind: 'media', media: spooledMedia(spooled, options, remove) },
      requestHash: bytesHash(to, replyTo, spooled, options),
    },
  };
}

const checkFields = bodyCheck(SendMessageFields);

/** A multipart/form-data body: its file is spooled while it is read. */
export async function outgoingFromForm<S>(request: FastifyRequest, context: SendRequestContext<S>): Promise<SendRequest<S>> {
  const { intake } = context;
  const form = await readSendForm(request, intake);
  const { file } = form;
  try {
    const fields = typedFields(form.fields);
    const problem = checkFields(fields);
    if (problem !== undefined) throw new Errors.VALIDATION_FAILED(problem);
    const checked = fields as SendMessageFields;
    if (file === undefined) throw new Errors.MEDIA_MISSING();
    checkSendRules(checked, true);
    const to = normalizeChatId(checked.to, 'body.to');
    const session = context.session();
    const options = optionsOf(checked);
    const spooled = await intake.accept(file, form.hints, wantedOf(options, checked.mimetype, checked.filename));
    const { replyTo, checkNumber } = checked;
    return {
      session,
      message: {
        ...base(to, replyTo, checkNumber),
        content: { kind: 'media', media: spooledMedia(spooled, options, (media) => intake.discard(media)) },
        requestHash: bytesHash(to, replyTo, spooled, options),
      },
    };
  } catch (error) {
    if (file !== undefined) await removeSpoolFile(file.path);
    throw error;
  }
}
