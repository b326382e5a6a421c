/**
 * Rules of a send body that span fields, in the words of the schema's own refusals (`400 WSM_VALIDATION_FAILED`),
 * for JSON and multipart bodies alike. Checked before the session is looked up or any media is read.
 */
import { Errors } from '../errors.js';
import { familyOf, essence } from '../media/mime-types.js';

/** A send's fields as both body kinds have them after their schema check. */
export interface SendFields {
  text?: string | undefined;
  caption?: string | undefined;
  asDocument?: boolean | undefined;
  asVoice?: boolean | undefined;
  asSticker?: boolean | undefined;
  /** The declared mimetype (`media.mimetype`, or the form's `mimetype`). */
  mimetype?: string | undefined;
}

const refuse = (problem: string): never => {
  throw new Errors.VALIDATION_FAILED(problem);
};

/** Throws 400 WSM_VALIDATION_FAILED at the first rule `fields` break; `hasMedia`: a `media` object or a file part. */
export function checkSendRules(fields: SendFields, hasMedia: boolean): void {
  const hasText = fields.text !== undefined;
  if (hasText && hasMedia) refuse('body must have exactly one of text or media, not both');
  if (!hasText && !hasMedia) refuse('body must have exactly one of text or media');
  const chosen = (['asDocument', 'asVoice', 'asSticker'] as const).filter((option) => fields[option] === true);
  if (hasText) {
    const misplaced = fields.caption !== undefined ? 'caption' : chosen[0];
    if (misplaced !== undefined) refuse(`body.${misplaced} goes with media, not with text`);
    return;
  }
  if (chosen.length > 1) refuse(`body.${chosen[0]} and body.${chosen[1]} exclude one another`);
  if (fields.mimetype === undefined) return;
  const family = familyOf(fields.mimetype);
  if (fields.asVoice === true && family !== 'audio') refuse(`body.asVoice needs audio media, and the declared mimetype is ${essence(fields.mimetype)}`);
  if (fields.asSticker === true && family !== 'image') refuse(`body.asSticker needs an image, and the declared mimetype is ${essence(fields.mimetype)}`);
}

/** `media` of a JSON body: exactly one of url or data. */
export function checkMediaSource(media: { url?: string | undefined; data?: string | undefined }): void {
  if ((media.url === undefined) === (media.data === undefined)) refuse('body.media must have exactly one of url or data');
}
