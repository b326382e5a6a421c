/**
 * Codes a worker may put in a failed `worker.reply` or a `worker.fatal`. The supervisor maps each to an HTTP
 * error of the contract; anything else it reports as an engine failure.
 */
export const WorkerErrorCode = {
  SESSION_NOT_READY: 'WSM_SESSION_NOT_READY',
  QR_NOT_AVAILABLE: 'WSM_QR_NOT_AVAILABLE',
  NOT_SIMULATED: 'WSM_NOT_SIMULATED',
  UNSUPPORTED_COMMAND: 'WSM_UNSUPPORTED_COMMAND',
  MALFORMED_MESSAGE: 'WSM_IPC_MALFORMED_MESSAGE',
  PROTOCOL_MISMATCH: 'WSM_PROTOCOL_MISMATCH',
  NOT_STARTED: 'WSM_WORKER_NOT_STARTED',
  ENGINE_UNAVAILABLE: 'WSM_ENGINE_UNAVAILABLE',
  ENGINE_FAILED: 'WSM_ENGINE_FAILED',
  AUTH_DATA_CORRUPT: 'WSM_AUTH_DATA_CORRUPT',
  LOGGED_OUT: 'WSM_LOGGED_OUT',
} as const;
export type WorkerErrorCode = (typeof WorkerErrorCode)[keyof typeof WorkerErrorCode];
