/**
 * The worker's logger: small on purpose (an idle worker's RSS is a target), with pino's level names.
 * Supervised, records travel over IPC and the supervisor writes them as pino JSON tagged with the session;
 * standalone, they are printed as readable lines.
 */
import type { LogLevel } from '@wsm/ipc-protocol';
import { LOG_LEVEL_VALUES } from '@wsm/ipc-protocol/runtime';

export type LogData = Record<string, unknown>;
export type LogWrite = (level: LogLevel, msg: string, data: LogData | undefined) => void;
export type Log = Record<LogLevel, (msg: string, data?: LogData) => void>;

export const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = LOG_LEVEL_VALUES;

export function createLog(level: LogLevel, write: LogWrite): Log {
  const threshold = LEVEL_VALUES[level];
  const method =
    (name: LogLevel) =>
    (msg: string, data?: LogData): void => {
      if (LEVEL_VALUES[name] >= threshold) write(name, msg, data);
    };
  return {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
  };
}

/** Error objects do not survive JSON; keep what a reader needs. */
export function serializeError(error: unknown): LogData {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { type: error.name, message: error.message, stack: error.stack, ...(code === undefined ? {} : { code }) };
  }
  return { message: String(error) };
}
