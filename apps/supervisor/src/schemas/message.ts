/**
 * The body of `POST /sessions/:sessionId/messages`, declared once: as JSON, and as the fields of a
 * multipart/form-data upload (the same fields, `file` in place of `media`). Rules that span fields (exactly one
 * of text or media, …) are in messages/send-rules.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { MessageText } from '@wsm/ipc-protocol';
import { withExample } from './documented.js';
import { Recipient } from './session.js';

export const CAPTION_MAX_LENGTH = 4096;

/** A WhatsApp message id as sends return it: `true_15550002222@c.us_3EB0…`, a group's with its sender after it. */
export const MessageIdRef = Type.String({
  maxLength: 256,
  pattern: '^(true|false)_[^\\s_]+_[A-Za-z0-9]+(_[^\\s]+)?$',
  description: 'Id of the message this one replies to (quotes), as `201` answers and `message.received` events carry it',
});

const Mimetype = Type.String({
  maxLength: 255,
  pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\\s*;.*)?$',
  description: 'e.g. `image/jpeg`, `audio/ogg; codecs=opus`; checked against the bytes for images, videos and audio',
});
const Filename = Type.String({ minLength: 1, maxLength: 255, description: 'The name a document is shown with' });

/** Fields of every send, JSON or multipart (a multipart send is media: it has no `text`). */
const common = {
  to: Recipient,
  replyTo: Type.Optional(MessageIdRef),
  caption: Type.Optional(Type.String({ maxLength: CAPTION_MAX_LENGTH, description: 'Text shown with the media' })),
  asDocument: Type.Optional(Type.Boolean({ default: false, description: 'Send the media as a file (any bytes), not as an image, video or audio' })),
  asVoice: Type.Optional(Type.Boolean({ default: false, description: 'Send audio as a voice note (`ptt`)' })),
  asSticker: Type.Optional(Type.Boolean({ default: false, description: 'Send an image as a sticker' })),
  checkNumber: Type.Optional(
    Type.Boolean({
      default: false,
      description: 'Ask WhatsApp first whether `to` (a number) is on it: `422 WSM_NUMBER_NOT_ON_WHATSAPP` if not, and nothing is sent',
    }),
  ),
};

export const MediaSource = Type.Object(
  {
    url: Type.Optional(Type.String({ maxLength: 4096, description: 'An http(s) URL the service fetches the media from' })),
    data: Type.Optional(Type.String({ minLength: 1, description: 'The media in base64, or a base64 `data:` URL' })),
    mimetype: Type.Optional(Mimetype),
    filename: Type.Optional(Filename),
  },
  { additionalProperties: false, description: 'Exactly one of `url` or `data`' },
);

export const SendMessageBody = withExample(
  Type.Object({ ...common, text: Type.Optional(MessageText), media: Type.Optional(MediaSource) }, { additionalProperties: false }),
  { to: '+1 555 000 2222', media: { url: 'https://shop.example.com/invoices/1001.pdf' }, caption: 'Your invoice #1001' },
);
export type SendMessageBody = Static<typeof SendMessageBody>;

/** The text fields of a multipart send, as read from the form (booleans from "true"/"false"). */
export const SendMessageFields = Type.Object(
  { ...common, mimetype: Type.Optional(Mimetype), filename: Type.Optional(Filename) },
  { additionalProperties: false },
);
export type SendMessageFields = Static<typeof SendMessageFields>;

/** The multipart form as the OpenAPI document shows it: the fields and the file. */
export const SendMessageForm = withExample(
  Type.Object(
    {
      ...SendMessageFields.properties,
      file: Type.String({
        format: 'binary',
        description: "The media; the part's filename and content-type are the defaults of `filename` and `mimetype`",
      }),
    },
    { additionalProperties: false },
  ),
  { to: '+1 555 000 2222', file: '(the bytes of photo.jpg)', caption: 'Your order, packed' },
);
