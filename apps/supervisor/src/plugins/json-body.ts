/**
 * JSON in: the request body every route takes (the send route also takes multipart/form-data, in its own scope). UTF-8 only (a body labelled with another charset would be
 * misread, so it is refused), an empty body is no body (many clients send `content-type: application/json` on
 * a bare POST), and keys that could rewrite object prototypes are refused with a message that says so.
 */
import secureJson from 'secure-json-parse';
import type { FastifyInstance } from 'fastify';
import { Errors } from '../errors.js';

const UTF8 = /^"?utf-?8"?$/i;

/** The charset parameter of a content type, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*("?[^";]*"?)/i.exec(contentType ?? '');
  return match?.[1]?.trim();
}

export function parseJsonBody(body: string): unknown {
  try {
    return secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const message = (error as Error).message;
    if (/forbidden prototype/i.test(message)) throw new Errors.FORBIDDEN_KEY();
    throw new Errors.INVALID_JSON(message);
  }
}

export function installJsonBody(app: FastifyInstance): void {
  // Any other content type is a 415, not a string that fails validation.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && !UTF8.test(charset)) {
      done(new Errors.UNSUPPORTED_MEDIA_TYPE(`charset ${charset}: JSON bodies must be UTF-8`), undefined);
      return;
    }
    if (body === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
