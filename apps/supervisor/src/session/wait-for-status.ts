/**
 * `GET /sessions/:id?wait=qr,ready`: answers once the session is in one of the wanted statuses, so a script
 * (or the README's example pasted as one block) waits on something real instead of sleeping.
 */
import type { EventEmitter } from 'node:events';
import type { SessionStatus } from './state-machine.js';

/** Statuses a session stays in until someone acts: waiting longer for another one cannot help. */
const SETTLED: ReadonlySet<SessionStatus> = new Set(['stopped', 'failed']);

export type WaitOutcome = 'reached' | 'settled' | 'timeout' | 'aborted';

interface StatusSource extends EventEmitter {
  readonly status: SessionStatus;
}

export function waitForStatus(
  session: StatusSource,
  wanted: ReadonlySet<SessionStatus>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<WaitOutcome> {
  const judge = (status: SessionStatus): WaitOutcome | undefined =>
    wanted.has(status) ? 'reached' : SETTLED.has(status) ? 'settled' : undefined;
  const now = judge(session.status);
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve) => {
    const finish = (outcome: WaitOutcome): void => {
      clearTimeout(timer);
      session.off('status', onStatus);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onStatus = ({ status }: { status: SessionStatus }): void => {
      const outcome = judge(status);
      if (outcome !== undefined) finish(outcome);
    };
    const onAbort = (): void => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    session.on('status', onStatus);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
