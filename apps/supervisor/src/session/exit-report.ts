/**
 * What a worker's exit means for its session, as pure functions: the `lastError` that explains it, and what to
 * do next (nothing, settle stopped, fail, or restart after a backoff), from the exit and the crash history.
 */
import { LastErrorCode } from '../errors.js';
import type { WorkerExit } from '../worker/worker-handle.js';
import { decideRestart, type RestartPolicy } from './restart-policy.js';
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
    case 'lease-expired':
      return {
        code: LastErrorCode.LEASE_EXPIRED,
        message: 'the worker ended itself at its lease deadline: this node could not renew its lease in time',
        at,
      };
    case 'spawn-failed':
      return { code: LastErrorCode.SPAWN_FAILED, message: `the worker could not be started: ${exit.detail}`, at };
    default:
      return { code: LastErrorCode.WORKER_CRASHED, message: `the worker died: ${exit.detail}`, at };
  }
}

export type AfterExit =
  /** Asked for: the operation that asked sets the status. */
  | { action: 'none' }
  /** Not meant to run any more (stopped, deleted, exiting): record why and stay stopped. */
  | { action: 'stopped'; lastError: LastError }
  /** A fatal engine error, or a crash loop: needs an explicit start. */
  | { action: 'fail'; lastError: LastError; consecutiveCrashes: number }
  | { action: 'backoff'; lastError: LastError; delayMs: number; consecutiveCrashes: number };

export interface ExitFacts {
  exit: WorkerExit;
  /** The session is still meant to run here. */
  meantToRun: boolean;
  previousCrashes: number;
  heartbeatTimeoutMs: number;
  at: string;
}

export function decideAfterExit(policy: RestartPolicy, facts: ExitFacts, random: () => number = Math.random): AfterExit {
  const { exit } = facts;
  if (exit.cause === 'requested') return { action: 'none' };
  const lastError = describeExit(exit, facts.heartbeatTimeoutMs, facts.at);
  if (!facts.meantToRun) return { action: 'stopped', lastError };
  // Ended by its lease deadline while this node still holds the lease (a renewal came late): not the worker's
  // fault, so not a crash; started again after the first delay if the lease allows it.
  if (exit.cause === 'lease-expired') {
    return { action: 'backoff', lastError, delayMs: policy.baseDelayMs, consecutiveCrashes: facts.previousCrashes };
  }
  if (exit.fatal !== undefined && !exit.fatal.retry) {
    return { action: 'fail', lastError, consecutiveCrashes: facts.previousCrashes };
  }
  const decision = decideRestart(policy, { previousCrashes: facts.previousCrashes, uptimeMs: exit.uptimeMs }, random);
  if (decision.action === 'give-up') {
    return {
      action: 'fail',
      consecutiveCrashes: decision.consecutiveCrashes,
      lastError: {
        code: LastErrorCode.CRASH_LOOP,
        message: `the worker died ${decision.consecutiveCrashes} times in a row; last: ${lastError.message}`,
        at: lastError.at,
      },
    };
  }
  return { action: 'backoff', lastError, delayMs: decision.delayMs, consecutiveCrashes: decision.consecutiveCrashes };
}
