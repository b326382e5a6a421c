import type { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '@wsm/ipc-protocol';
import { redactUrl } from './redact-url.js';
import type { SessionLogs } from './session-logs.js';

/**
 * What never reaches a log line: credentials and message contents. Our own code logs neither; these paths
 * catch them if a request, a worker record or an error object carries them.
 */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'apiKey',
  'token',
  'secret',
  'webhookSecret',
  'body',
  'text',
  '*.apiKey',
  '*.secret',
  '*.body',
  '*.text',
];

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * Fastify's request serializer with the URL's credentials masked (redact paths cannot reach inside a string): a
 * key a client wrongly put in the query string, or the `?token=` of an EventSource.
 */
const serializers = {
  req: (req: LoggedRequest) => ({
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
  // Webhook targets and any other logged address.
  target: (target: unknown) => (typeof target === 'string' ? redactUrl(target) : target),
  url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
};

/**
 * The supervisor's one logger: pino JSON lines to `destination` (stdout), each line also offered to the
 * per-session log buffer. Sessions log through `log.child({ sessionId })`.
 */
export function createLogger(level: LogLevel, sessionLogs: SessionLogs, destination: Writable = process.stdout): Logger {
  const tee = {
    write(line: string): boolean {
      sessionLogs.ingest(line);
      return destination.write(line);
    },
  };
  return pino({ level, serializers, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, tee);
}
