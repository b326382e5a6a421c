/**
 * Stopping a worker in escalating steps, as execa does: it has been asked over IPC; if it has not exited
 * after `stepMs`, SIGTERM to its process groups; after as long again, SIGKILL.
 */
import type { Logger } from 'pino';

const STEPS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGKILL'];

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function escalateStop(options: {
  exited: Promise<unknown>;
  isGone: () => boolean;
  stepMs: number;
  signal: (signal: NodeJS.Signals) => void;
  log: Logger;
  pid: number | undefined;
}): Promise<void> {
  for (const signal of STEPS) {
    await Promise.race([options.exited, delay(options.stepMs)]);
    if (options.isGone()) return;
    options.log.warn({ signal, pid: options.pid }, 'worker did not stop in time; signalling its process group');
    options.signal(signal);
  }
}
