import { STATUS_CODES } from 'node:http';
import { CloneType, Type, type Static } from '@sinclair/typebox';
import { WorkerErrorCode } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';

/** The contract's error body, for the OpenAPI document. */
export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status, repeated' }),
    code: Type.String({ pattern: '^WSM_', description: 'Stable error code: branch on this, not on the message' }),
    error: Type.String({ description: "The HTTP status's reason phrase" }),
    message: Type.String({ description: 'What was wrong, for people: names the field or the state' }),
  },
  { title: 'ErrorReply', description: 'Every error the API answers with' },
);
export type ErrorReply = Static<typeof ErrorReply>;

/** A coded error as a route may answer it: an instance of one of `Errors` (errors.ts), or a worker's code. */
export interface Refusal<S extends number = number> {
  readonly statusCode: S;
  readonly code: string;
  readonly message: string;
}

const bodyOf = ({ statusCode, code, message }: Refusal): ErrorReply => ({
  statusCode,
  code,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
});

/** Descriptions are Markdown: a message's `__proto__` must not turn bold. */
const asMarkdownText = (text: string): string => text.replace(/[\\`*_]/g, (char) => `\\${char}`);

/**
 * The error responses of a route, from examples of the errors it answers with: one `ErrorReply` per status,
 * described by the codes it can carry, with each code's example named after it.
 */
export function refusals<S extends number>(...examples: Array<Refusal<S>>): Record<S, typeof ErrorReply> {
  const byStatus = new Map<S, Array<Refusal<S>>>();
  for (const example of examples) {
    const list = byStatus.get(example.statusCode) ?? [];
    if (list.some(({ code }) => code === example.code)) throw new Error(`${example.code} is listed twice`);
    byStatus.set(example.statusCode, [...list, example]);
  }
  const responses = {} as Record<S, typeof ErrorReply>;
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const lines = list.map(({ code, message }) => `\`${code}\`, e.g. "${asMarkdownText(message)}"`);
    responses[status] = CloneType(ErrorReply, {
      'x-response-description': list.length === 1 ? lines[0] : `One of:\n- ${lines.join('\n- ')}`,
      'x-examples': Object.fromEntries(list.map((example) => [example.code, { value: bodyOf(example) }])),
    });
  }
  return responses;
}

/** Examples of the refusals that many routes share, with the messages the service really writes. */
export const Refused = {
  unauthorized: new Errors.UNAUTHORIZED(),
  rateLimited: new Errors.RATE_LIMITED(6000, '1 minute'),
  invalidSessionId: new Errors.INVALID_SESSION_ID(),
  sessionNotFound: new Errors.SESSION_NOT_FOUND('shop-42'),
  invalidJson: new Errors.INVALID_JSON('Unexpected end of JSON input'),
  forbiddenKey: new Errors.FORBIDDEN_KEY(),
  bodyTooLarge: new Errors.BODY_TOO_LARGE(1_048_576),
  unsupportedMediaType: new Errors.UNSUPPORTED_MEDIA_TYPE('Unsupported Media Type'),
  tooManySessions: new Errors.TOO_MANY_SESSIONS(100),
  insufficientMemory: new Errors.INSUFFICIENT_MEMORY(412, 256),
  notSimulated: new Errors.NOT_SIMULATED('shop-42', 'webjs'),
  workerUnavailable: new Errors.WORKER_UNAVAILABLE('shop-42', "its status is 'stopped'"),
  workerNotStarted: { statusCode: 503, code: WorkerErrorCode.NOT_STARTED, message: 'the engine is not running' },
  commandTimeout: new Errors.COMMAND_TIMEOUT('shop-42', 'sendText', 30_000),
  engineFailed: new Errors.ENGINE_FAILED('shop-42', 'sendText', 'Evaluation failed: WhatsApp Web did not answer'),
} as const;

/** Refusals of every route behind the API key and the rate limit (all but GET /health). */
export const API_REFUSALS = [Refused.unauthorized, Refused.rateLimited] as const;

/** Refusals of a route that takes a JSON body, besides its own validation. */
export const JSON_BODY_REFUSALS = [Refused.invalidJson, Refused.forbiddenKey, Refused.bodyTooLarge, Refused.unsupportedMediaType] as const;

/** Refusals of a command that runs in the session's worker (sends, scans, pairing codes). */
export const WORKER_REFUSALS = [Refused.workerUnavailable, Refused.workerNotStarted, Refused.commandTimeout, Refused.engineFailed] as const;
