/** A worker's exit as the session's `lastError`: what it said before leaving, else what the supervisor saw. */
import { LastErrorCode } from '../errors.js';
import type { WorkerExit } from '../worker/worker-handle.js';
import type { LastError } from './session-record.js';

export function describeExit(exit: WorkerExit, heartbeatTimeoutMs: number, at: string): LastError {
  if (exit.fatal !== undefined) return { ...exit.fatal.error, at };
  switch (exit.cause) {
    case 'heartbeat-timeout':
      return {
        code: LastErrorCode.HEARTBEAT_TIMEOUT,
        message: `the worker sent nothing for ${heartbeatTimeoutMs} ms of time it could run and was killed`,
        at,
      };
    case 'spawn-failed':
      return { code: LastErrorCode.SPAWN_FAILED, message: `the worker could not be started: ${exit.detail}`, at };
    default:
      return { code: LastErrorCode.WORKER_CRASHED, message: `the worker died: ${exit.detail}`, at };
  }
}
