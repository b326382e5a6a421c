/**
 * Every failure leaves as the contract's `{ statusCode, code, error, message }` with a WSM_ code: our own coded
 * errors as they are, Fastify's (validation, body limits, bad JSON, media types) translated, anything else a
 * 500 whose details stay in the log.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { Errors } from '../errors.js';

interface ApiError {
  statusCode: number;
  code: string;
  message: string;
}

function translate(error: FastifyError, bodyLimit: number): ApiError {
  const from = (coded: { statusCode?: number; code: string; message: string }): ApiError => ({
    statusCode: coded.statusCode ?? 500,
    code: coded.code,
    message: coded.message,
  });
  if (error.validation !== undefined) {
    const badSessionId =
      error.validation.some((issue) => issue.instancePath === '/sessionId') || error.validationContext === 'params';
    return from(badSessionId ? new Errors.INVALID_SESSION_ID() : new Errors.VALIDATION_FAILED(error.message));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return from(new Errors.BODY_TOO_LARGE(bodyLimit));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return from(new Errors.UNSUPPORTED_MEDIA_TYPE(error.message));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return from(new Errors.INVALID_JSON(error.message));
  }
  if (error instanceof SyntaxError && error.statusCode === 400) return from(new Errors.INVALID_JSON(error.message));
  if (typeof error.code === 'string' && error.code.startsWith('WSM_')) return from(error);
  const statusCode = error.statusCode ?? 500;
  if (statusCode < 500) return { statusCode, code: 'WSM_BAD_REQUEST', message: error.message };
  return from(new Errors.INTERNAL());
}

export function installErrorHandlers(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const api = translate(error, bodyLimit);
    if (api.statusCode >= 500) request.log.error({ err: error, code: api.code }, 'request failed');
    else request.log.info({ code: api.code, reason: api.message }, 'request refused');
    return reply
      .code(api.statusCode)
      .send({ statusCode: api.statusCode, code: api.code, error: STATUS_CODES[api.statusCode], message: api.message });
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new Errors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]);
    return reply.code(404).send({ statusCode: 404, code: error.code, error: STATUS_CODES[404], message: error.message });
  });
}
