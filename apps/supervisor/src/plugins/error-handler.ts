/**
 * Every failure leaves as the contract's `{ statusCode, code, error, message }` with a WSM_ code: our own coded
 * errors as they are, Fastify's (validation, body limits, bad JSON, media types, bad URLs) translated, Node's
 * own refusals of a request it cannot parse (oversized headers, timeouts) written in the same shape, and
 * anything else a 500 whose details stay in the log.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, MOVING_RETRY_AFTER_SECONDS, WORKER_CODE_STATUS } from '../errors.js';
import { WorkerError } from '../worker/worker-errors.js';

interface ApiError {
  statusCode: number;
  code: string;
  message: string;
}

/** Path parameters up to this long reach their schema (a coded 400); longer ones are a coded 414. */
export const MAX_PARAM_LENGTH = 2048;
/** Node's default limit of the request line and headers together. */
const MAX_HEADER_BYTES = 16_384;

const from = (coded: { statusCode?: number; code: string; message: string }): ApiError => ({
  statusCode: coded.statusCode ?? 500,
  code: coded.code,
  message: coded.message,
});

const body = (api: ApiError): string =>
  JSON.stringify({ statusCode: api.statusCode, code: api.code, error: STATUS_CODES[api.statusCode], message: api.message });

function translate(error: FastifyError, bodyLimit: number): ApiError {
  if (error instanceof WorkerError) {
    return { statusCode: WORKER_CODE_STATUS[error.code] ?? 502, code: error.code, message: error.message };
  }
  if (error.validation !== undefined) {
    // The session id has its own code, in a path or a body; any other field (a message id, a phone number in the
    // path) is a validation failure that names it.
    const badSessionId = error.validation.some((issue) => issue.instancePath === '/sessionId');
    return from(badSessionId ? new Errors.INVALID_SESSION_ID() : new Errors.VALIDATION_FAILED(error.message));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return from(new Errors.BODY_TOO_LARGE(bodyLimit));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return from(new Errors.UNSUPPORTED_MEDIA_TYPE(error.message));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return from(new Errors.INVALID_JSON(error.message));
    case 'FST_ERR_BAD_URL':
      return from(new Errors.BAD_URL(/'(.*)'/.exec(error.message)?.[1] ?? ''));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return from(new Errors.URI_TOO_LONG(MAX_PARAM_LENGTH));
  }
  if (error instanceof SyntaxError && error.statusCode === 400) return from(new Errors.INVALID_JSON(error.message));
  if (typeof error.code === 'string' && error.code.startsWith('WSM_')) return from(error);
  const statusCode = error.statusCode ?? 500;
  if (statusCode < 500) return { statusCode, code: 'WSM_BAD_REQUEST', message: error.message };
  return from(new Errors.INTERNAL());
}

function send(request: FastifyRequest, reply: FastifyReply, error: FastifyError, api: ApiError): FastifyReply {
  if (api.statusCode >= 500) request.log.error({ err: error, code: api.code }, 'request failed');
  else request.log.info({ code: api.code, reason: api.message }, 'request refused');
  // A session between nodes is there again within a lease: tell clients when to come back.
  if (api.code === 'WSM_SESSION_MOVING') void reply.header('retry-after', String(MOVING_RETRY_AFTER_SECONDS));
  return reply.code(api.statusCode).type('application/json; charset=utf-8').send(body(api));
}

export function installErrorHandlers(app: FastifyInstance, bodyLimit: number): void {
  // A route may take larger bodies than BODY_LIMIT_BYTES (the send route: base64 media); its refusal names its own limit.
  app.setErrorHandler((error: FastifyError, request, reply) =>
    send(request, reply, error, translate(error, request.routeOptions.bodyLimit ?? bodyLimit)),
  );
  app.setNotFoundHandler((request, reply) => {
    const error = new Errors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]);
    return reply.code(404).send({ statusCode: 404, code: error.code, error: STATUS_CODES[404], message: error.message });
  });
}

/** Fastify's router errors (a malformed percent-encoding, an overlong parameter), before any route runs. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void send(request, reply, error, translate(error, 0));
}

/** Requests Node's HTTP parser refuses before Fastify sees them: answered in the same coded shape. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const api: ApiError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? from(new Errors.HEADERS_TOO_LARGE(MAX_HEADER_BYTES))
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { statusCode: 408, code: 'WSM_REQUEST_TIMEOUT', message: 'The request was not received in time' }
        : { statusCode: 400, code: 'WSM_BAD_REQUEST', message: 'The request is not valid HTTP' };
  const text = body(api);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${api.statusCode} ${STATUS_CODES[api.statusCode]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
