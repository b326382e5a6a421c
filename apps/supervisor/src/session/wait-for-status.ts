/**
 * `GET /sessions/:id?wait=qr,ready`: answers once the session is in one of the wanted statuses, so a script
 * (or the README's example pasted as one block) waits on something real instead of sleeping.
 */
import type { SessionStatus } from './state-machine.js';

/** Statuses a session stays in until someone acts: waiting longer for another one cannot help. */
const SETTLED: ReadonlySet<SessionStatus> = new Set(['stopped', 'failed']);

export type WaitOutcome = 'reached' | 'settled' | 'timeout' | 'aborted';

interface StatusChange {
  sessionId: string;
  status: SessionStatus;
}

/** The session's recorded status now, and the status changes of every session as they are recorded. */
export interface StatusSource {
  status(): SessionStatus;
  changes: {
    on(event: 'status', listener: (change: StatusChange) => void): unknown;
    off(event: 'status', listener: (change: StatusChange) => void): unknown;
  };
}

export function waitForStatus(
  sessionId: string,
  source: StatusSource,
  wanted: ReadonlySet<SessionStatus>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<WaitOutcome> {
  const judge = (status: SessionStatus): WaitOutcome | undefined =>
    wanted.has(status) ? 'reached' : SETTLED.has(status) ? 'settled' : undefined;
  const now = judge(source.status());
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve) => {
    const finish = (outcome: WaitOutcome): void => {
      clearTimeout(timer);
      source.changes.off('status', onStatus);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onStatus = (change: StatusChange): void => {
      if (change.sessionId !== sessionId) return;
      const outcome = judge(change.status);
      if (outcome !== undefined) finish(outcome);
    };
    const onAbort = (): void => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    source.changes.on('status', onStatus);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
