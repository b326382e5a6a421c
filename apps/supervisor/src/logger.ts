import pino, { type Logger } from 'pino';
import type { LogLevel } from '@wsm/ipc-protocol';

/** Paths that never reach a log line: credentials in request headers. */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
];

/** The supervisor's one logger: pino JSON lines on stdout; sessions log through `log.child({ sessionId })`. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
