/**
 * Every error the API answers with, as coded constructors (`new Errors.SESSION_NOT_FOUND(id)`), and the codes
 * recorded as a session's `lastError`. Fastify serializes them as the contract's
 * `{ statusCode, code, error, message }`.
 */
import createError from '@fastify/error';
import { WorkerErrorCode } from '@wsm/ipc-protocol';
import { WorkerFailure } from './worker/worker-errors.js';

export const Errors = {
  UNAUTHORIZED: createError('WSM_UNAUTHORIZED', 'Missing or invalid API key', 401),
  FORBIDDEN_ORIGIN: createError(
    'WSM_FORBIDDEN_ORIGIN',
    "A %s request authenticated by the session cookie must come from this service's own origin or one in CORS_ORIGINS, not from %s",
    403,
  ),
  INVALID_SESSION_ID: createError(
    'WSM_INVALID_SESSION_ID',
    'Invalid session id: it must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
    400,
  ),
  VALIDATION_FAILED: createError('WSM_VALIDATION_FAILED', 'Invalid request: %s', 400),
  INVALID_JSON: createError('WSM_INVALID_JSON', 'The request body is not valid JSON: %s', 400),
  FORBIDDEN_KEY: createError(
    'WSM_FORBIDDEN_KEY',
    "The request body contains a '__proto__' or 'constructor.prototype' key, which is refused: such keys can change the prototype of objects",
    400,
  ),
  BAD_URL: createError('WSM_BAD_URL', "The URL is not valid: '%s' is not a valid URL component", 400),
  URI_TOO_LONG: createError('WSM_URI_TOO_LONG', 'A path segment of the URL is longer than %d characters', 414),
  METADATA_TOO_LARGE: createError('WSM_METADATA_TOO_LARGE', 'metadata is too large: %s', 400),
  INVALID_WEBHOOK_URL: createError('WSM_INVALID_WEBHOOK_URL', 'Invalid webhook URL %s: %s', 400),
  ADDRESS_BLOCKED: createError(
    'WSM_ADDRESS_BLOCKED',
    '%s resolves to %s, a loopback, private, link-local or metadata address, which BLOCK_PRIVATE_ADDRESSES refuses',
    400,
  ),
  INVALID_CHAT_ID: createError(
    'WSM_INVALID_CHAT_ID',
    "%s must be a phone number (digits, optionally with a leading +) or a WhatsApp id such as 15550001111@c.us or 120363000000000000@g.us; got '%s'",
    400,
  ),
  INVALID_EVENT_ID: createError(
    'WSM_INVALID_EVENT_ID',
    "%s must be an event id (26 characters, as in the envelope's id); got '%s'",
    400,
  ),
  WAIT_TIMEOUT: createError('WSM_WAIT_TIMEOUT', "Session '%s' did not reach %s: its status is '%s'", 409),
  WAIT_SETTLED: createError(
    'WSM_WAIT_SETTLED',
    "Session '%s' will not reach %s without a new start: its status is '%s'",
    409,
  ),
  BODY_TOO_LARGE: createError('WSM_BODY_TOO_LARGE', 'The request body is larger than %d bytes', 413),
  UNSUPPORTED_MEDIA_TYPE: createError('WSM_UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type: %s', 415),
  HEADERS_TOO_LARGE: createError('WSM_HEADERS_TOO_LARGE', 'The request line and headers are larger than %d bytes', 431),
  ROUTE_NOT_FOUND: createError('WSM_ROUTE_NOT_FOUND', 'Route %s %s not found', 404),
  SESSION_NOT_FOUND: createError('WSM_SESSION_NOT_FOUND', "Session '%s' not found", 404),
  SESSION_EXISTS: createError('WSM_SESSION_EXISTS', "Session '%s' already exists", 409),
  QR_NOT_AVAILABLE: createError('WSM_QR_NOT_AVAILABLE', "Session '%s' has no QR code: its status is '%s'", 409),
  SESSION_NOT_READY: createError('WSM_SESSION_NOT_READY', "Session '%s' is not ready: its status is '%s'", 409),
  NOT_SIMULATED: createError('WSM_NOT_SIMULATED', "Session '%s' uses engine '%s', not 'simulated'", 409),
  NOT_WEBJS: createError('WSM_NOT_WEBJS', "Session '%s' uses engine '%s': only a webjs session has a WhatsApp Web page", 409),
  NUMBER_NOT_ON_WHATSAPP: createError('WSM_NUMBER_NOT_ON_WHATSAPP', "%s is not on WhatsApp: nothing was sent", 422),
  WORKER_UNAVAILABLE: createError(WorkerFailure.UNAVAILABLE, "Session '%s' has no running worker: %s", 503),
  COMMAND_TIMEOUT: createError(WorkerFailure.TIMEOUT, "Session '%s' did not answer '%s' within %d ms", 504),
  ENGINE_FAILED: createError(WorkerFailure.MALFORMED_RESULT, "Session '%s' failed '%s': %s", 502),
  IDEMPOTENCY_MISMATCH: createError(
    'WSM_IDEMPOTENCY_KEY_REUSED',
    "Idempotency-Key '%s' was used for a different message",
    422,
  ),
  TOO_MANY_SESSIONS: createError(
    'WSM_TOO_MANY_SESSIONS',
    '%d sessions are already running on this supervisor (MAX_SESSIONS); stop one first',
    429,
  ),
  INSUFFICIENT_MEMORY: createError(
    'WSM_INSUFFICIENT_MEMORY',
    'Not enough free memory to start a session: %d MB available, %d MB must stay free (MIN_FREE_MEMORY_MB)',
    503,
  ),
  RATE_LIMITED: createError('WSM_RATE_LIMITED', 'Too many requests: at most %d a minute; retry in %s', 429),
  STORE_UNAVAILABLE: createError(
    'WSM_STORE_UNAVAILABLE',
    'The session store did not confirm the change within %d ms; it is kept and written once the store answers',
    503,
  ),
  SESSION_CONFLICT: createError('WSM_SESSION_CONFLICT', "Session '%s' was changed by someone else; read it again", 409),
  SESSION_FENCED: createError(
    'WSM_SESSION_FENCED',
    "Session '%s' is no longer held by this node (its lease was taken over or expired); the change was refused",
    409,
  ),
  SHUTTING_DOWN: createError('WSM_SHUTTING_DOWN', 'The service is shutting down', 503),
  SESSION_MOVING: createError('WSM_SESSION_MOVING', "Session '%s' is moving between nodes (%s); retry shortly", 503),
  CLUSTER_FULL: createError(
    'WSM_TOO_MANY_SESSIONS',
    'No live node of the cluster has a free slot (each runs as many sessions as its MAX_SESSIONS allows); stop one first or add a node',
    429,
  ),
  NODE_NOT_FOUND: createError('WSM_NODE_NOT_FOUND', "Node '%s' not found", 404),
  NOT_A_CLUSTER: createError(
    'WSM_NOT_A_CLUSTER',
    'This supervisor is a single node (no DATABASE_URL): it has no other node to hand its sessions to',
    409,
  ),
  MEDIA_TOO_LARGE: createError('WSM_MEDIA_TOO_LARGE', 'The media is larger than %d bytes (MEDIA_MAX_BYTES)', 413),
  MEDIA_INVALID_BASE64: createError('WSM_MEDIA_INVALID_BASE64', 'body.media.data is not valid base64: %s', 400),
  MEDIA_MISSING: createError(
    'WSM_MEDIA_MISSING',
    "A multipart/form-data message needs its media as a file part named 'file'",
    400,
  ),
  MEDIA_EMPTY: createError('WSM_MEDIA_EMPTY', 'The media is empty (0 bytes)', 400),
  MEDIA_URL_REFUSED: createError('WSM_MEDIA_URL_REFUSED', "Media URL '%s' is refused: %s", 400),
  MEDIA_FETCH_FAILED: createError('WSM_MEDIA_FETCH_FAILED', "Fetching the media from '%s' failed: %s", 422),
  MEDIA_TYPE_MISMATCH: createError('WSM_MEDIA_TYPE_MISMATCH', 'The media is declared %s but its bytes are %s', 415),
  DATA_DIR_IN_USE: createError('WSM_DATA_DIR_IN_USE', 'DATA_DIR %s is in use by another supervisor (pid %d)', 500),
  INTERNAL: createError('WSM_INTERNAL_ERROR', 'Internal error', 500),
} as const;

/** An error that already speaks the API (a `WSM_` code), to pass on as it is rather than wrap. */
export function isCodedError(error: unknown): error is Error & { code: string; statusCode?: number } {
  const code: unknown = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('WSM_');
}

/** Seconds a client should wait before retrying a request that met a session between two nodes. */
export const MOVING_RETRY_AFTER_SECONDS = 1;

/**
 * A session's saved pairing (cluster/auth-snapshot.ts) failing to pack or restore. Never an HTTP answer (so not
 * in docs/api.md's table): the node that saves or takes over a session logs them and keeps what it had.
 */
export const AuthStateErrors = {
  TOO_LARGE: createError(
    'WSM_AUTH_STATE_TOO_LARGE',
    'The auth state %s is larger than %d bytes, the limit that bounds what a node holds in memory and sends in one statement',
  ),
  UNSTABLE: createError('WSM_AUTH_STATE_UNSTABLE', 'The auth state under %s changed during each of %d reads; the snapshot saved before it stays'),
  CORRUPT: createError('WSM_AUTH_STATE_CORRUPT', 'The saved auth state cannot be restored: %s'),
} as const;

/** Codes that only appear as a session's `lastError`, never as an HTTP answer. */
export const LastErrorCode = {
  WORKER_CRASHED: 'WSM_WORKER_CRASHED',
  HEARTBEAT_TIMEOUT: 'WSM_HEARTBEAT_TIMEOUT',
  CRASH_LOOP: 'WSM_CRASH_LOOP',
  SPAWN_FAILED: 'WSM_SPAWN_FAILED',
  PROTOCOL_ERROR: 'WSM_IPC_PROTOCOL_ERROR',
  LEASE_EXPIRED: 'WSM_LEASE_EXPIRED',
} as const;

/**
 * HTTP status of a command that failed in the worker (worker/worker-errors.ts), by its code: the session was in
 * the wrong state (409), a message or its media is not there (404) or no longer (410), WhatsApp refused the media
 * (422), the worker was not there or is starting (503), it did not answer in time (504), the supervisor sent
 * something malformed (500); any other code is the engine failing (502).
 */
export const WORKER_CODE_STATUS: Readonly<Record<string, number>> = {
  [WorkerErrorCode.SESSION_NOT_READY]: 409,
  [WorkerErrorCode.QR_NOT_AVAILABLE]: 409,
  [WorkerErrorCode.NOT_SIMULATED]: 409,
  [WorkerErrorCode.NOT_WEBJS]: 409,
  [WorkerErrorCode.MESSAGE_NOT_FOUND]: 404,
  [WorkerErrorCode.MEDIA_NOT_FOUND]: 404,
  [WorkerErrorCode.MEDIA_EXPIRED]: 410,
  [WorkerErrorCode.MEDIA_REJECTED]: 422,
  [WorkerErrorCode.NOT_STARTED]: 503,
  [WorkerErrorCode.MALFORMED_MESSAGE]: 500,
  [WorkerFailure.UNAVAILABLE]: 503,
  [WorkerFailure.TIMEOUT]: 504,
};
