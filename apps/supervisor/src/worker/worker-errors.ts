/**
 * The process layer's own failure: a command the worker could not run, with the code that says why (the
 * worker's own WSM_ code, or the layer's: unavailable, timed out, malformed answer). It knows nothing of HTTP;
 * the error handler (plugins/error-handler.ts) gives each code its status.
 */
export const WorkerFailure = {
  /** No worker to ask: not running, stopping, or it exited before answering. */
  UNAVAILABLE: 'WSM_WORKER_UNAVAILABLE',
  /** The worker did not answer within the command's deadline. */
  TIMEOUT: 'WSM_COMMAND_TIMEOUT',
  /** The worker's answer did not fit the command's result schema. */
  MALFORMED_RESULT: 'WSM_ENGINE_FAILED',
} as const;

export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  constructor(
    readonly code: string,
    message: string,
    readonly sessionId: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export const workerUnavailable = (sessionId: string, why: string): WorkerError =>
  new WorkerError(WorkerFailure.UNAVAILABLE, `Session '${sessionId}' has no running worker: ${why}`, sessionId);
