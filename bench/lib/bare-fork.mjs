/** The reference of spawn and memory figures: fork() of a bare Node script, timed to its first IPC message. */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BARE = fileURLToPath(new URL('../fixtures/bare-ipc.cjs', import.meta.url));

/** Forks the bare script (environment inherited unless `env` is given, as the supervisor's workers do). */
export async function bareFork({ env = process.env, detached = false } = {}) {
  const started = performance.now();
  const child = fork(BARE, [], { execArgv: [], env, detached, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  await once(child, 'message');
  return { ms: performance.now() - started, child };
}

export async function endBare(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.disconnect();
  await exited;
}
