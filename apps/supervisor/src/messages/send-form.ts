/**
 * Reading a multipart/form-data send: the part `file` is spooled as it streams in (capped by the multipart
 * parser at MEDIA_MAX_BYTES and again by the spool), every other part is a text field of the same name. One
 * file at most; fields once each and short. A failure removes the file before the error comes back, a client
 * that goes away mid-upload included.
 */
import type { FastifyRequest } from 'fastify';
import { Errors, isCodedError } from '../errors.js';
import type { SourceHints, MediaIntake } from '../media/media-intake.js';
import { removeSpoolFile, type SpoolFile } from '../media/spool.js';

export interface SendForm {
  /** The text fields as sent ("true"/"false" still text). */
  fields: Record<string, string>;
  file: SpoolFile | undefined;
  /** The file part's own filename and content-type. */
  hints: SourceHints;
}

export const FILE_FIELD = 'file';
/** Enough for a 4096-character caption of 4-byte characters. */
const FIELD_MAX_BYTES = 16 * 1024;
const MAX_FIELDS = 16;

/** The parser's own refusals (limits, malformed forms) in the API's words. */
function asApiError(error: unknown, maxBytes: number): unknown {
  if (isCodedError(error)) return error;
  const code = (error as { code?: unknown })?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new Errors.MEDIA_TOO_LARGE(maxBytes);
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') return new Errors.VALIDATION_FAILED(`body has more than ${MAX_FIELDS} fields`);
  if (code === 'FST_FILES_LIMIT') return new Errors.VALIDATION_FAILED(`body has more than one file: a message carries one, in the part named '${FILE_FIELD}'`);
  if (code === 'FST_PROTO_VIOLATION') return new Errors.FORBIDDEN_KEY();
  return new Errors.VALIDATION_FAILED(`body is not a complete multipart/form-data form: ${(error as Error).message}`);
}

export async function readSendForm(request: FastifyRequest, intake: MediaIntake): Promise<SendForm> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let file: SpoolFile | undefined;
  let hints: SourceHints = {};
  try {
    const parts = request.parts({
      limits: { fileSize: intake.maxBytes, files: 2, fields: MAX_FIELDS, fieldSize: FIELD_MAX_BYTES, parts: MAX_FIELDS + 2 },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== FILE_FIELD) {
          part.file.resume();
          throw new Errors.VALIDATION_FAILED(`body has an unknown file part '${part.fieldname}': the media goes in the part named '${FILE_FIELD}'`);
        }
        if (file !== undefined) {
          part.file.resume();
          throw new Errors.VALIDATION_FAILED(`body has more than one file: a message carries one, in the part named '${FILE_FIELD}'`);
        }
        // The parser stops the part at MEDIA_MAX_BYTES and says so with 'limit'; the spool then refuses it.
        part.file.once('limit', () => part.file.destroy(new Errors.MEDIA_TOO_LARGE(intake.maxBytes)));
        file = await intake.spool(part.file);
        hints = { filename: part.filename === '' ? undefined : part.filename, contentType: part.mimetype };
        continue;
      }
      if (part.valueTruncated) throw new Errors.VALIDATION_FAILED(`body.${part.fieldname} is longer than ${FIELD_MAX_BYTES} bytes`);
      if (part.fieldname in fields) throw new Errors.VALIDATION_FAILED(`body.${part.fieldname} is given more than once`);
      fields[part.fieldname] = String(part.value);
    }
  } catch (error) {
    if (file !== undefined) await removeSpoolFile(file.path);
    throw asApiError(error, intake.maxBytes);
  }
  return { fields, file, hints };
}

const BOOLEAN_FIELDS = new Set(['asDocument', 'asVoice', 'asSticker', 'checkNumber']);

/** Form fields as the body schema takes them: "true" and "false" are booleans; anything else stays text (and is refused). */
export function typedFields(fields: Record<string, string>): Record<string, unknown> {
  const typed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    typed[name] = BOOLEAN_FIELDS.has(name) && (value === 'true' || value === 'false') ? value === 'true' : value;
  }
  return typed;
}
