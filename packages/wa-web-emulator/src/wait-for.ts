/** Waiting on an emitter for a condition to hold, with a deadline: the check runs now and on every event. */
import type { EventEmitter } from 'node:events';
import { errors } from './errors.js';

export function waitFor<T>(emitter: EventEmitter, event: string, check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const onEvent = (): void => {
      const found = check();
      if (found === undefined) return;
      finish();
      resolve(found);
    };
    const timer = setTimeout(() => {
      finish();
      reject(errors.timeout(what, timeoutMs));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}
