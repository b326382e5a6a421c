import type { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '@wsm/ipc-protocol';
import type { SessionLogs } from './session-logs.js';

/**
 * What never reaches a log line: credentials and message contents. Our own code logs neither; these paths
 * catch them if a request, a worker record or an error object carries them.
 */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
  'apiKey',
  'secret',
  'webhookSecret',
  'body',
  'text',
  '*.apiKey',
  '*.secret',
  '*.body',
  '*.text',
];

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
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, tee);
}
