/** Readers for the media parts of JSON bodies: the control API's `deliver` and the page's `sent` report. */
import type { SentMediaReport } from '../page/protocol.js';
import { asBody, nullableText, optionalBoolean, optionalText, text, type Body } from './http-io.js';
import type { Delivery } from './media-messages.js';

/** Room for media of `maxMediaBytes` in base64 (4 characters per 3 bytes) and the rest of a JSON body. */
export const jsonLimitFor = (maxMediaBytes: number): number => Math.ceil(maxMediaBytes / 3) * 4 + 64 * 1024;

/** `{ from, body?, media?: { data (base64), mimetype, filename?, ptt? }, quotedId? }` */
export function deliveryOf(body: Body): Delivery {
  const caption = optionalText(body, 'body');
  const quotedId = optionalText(body, 'quotedId');
  const delivery: Delivery = {
    from: text(body, 'from'),
    ...(caption === undefined ? {} : { body: caption }),
    ...(quotedId === undefined ? {} : { quotedId }),
  };
  if (body['media'] === undefined || body['media'] === null) return delivery;
  const media = asBody(body['media']);
  const filename = optionalText(media, 'filename');
  const ptt = optionalBoolean(media, 'ptt');
  return {
    ...delivery,
    media: {
      data: text(media, 'data'),
      mimetype: text(media, 'mimetype'),
      ...(filename === undefined ? {} : { filename }),
      ...(ptt === undefined ? {} : { ptt }),
    },
  };
}

export function sentMediaReportOf(body: Body): SentMediaReport | undefined {
  if (body['media'] === undefined || body['media'] === null) return undefined;
  const media = asBody(body['media']);
  return {
    type: text(media, 'type'),
    caption: nullableText(media, 'caption'),
    mimetype: nullableText(media, 'mimetype'),
    filename: nullableText(media, 'filename'),
    directPath: text(media, 'directPath'),
  };
}
