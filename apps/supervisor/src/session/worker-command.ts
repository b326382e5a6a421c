/** An engine command sent to a session's worker, timed for the metrics whether it succeeds or not. */
import type { CommandName, CommandParams, CommandResult } from '@wsm/ipc-protocol';
import type { Worker } from '../worker/worker-port.js';
import type { SessionEnvironment } from './session-environment.js';

export async function timedCommand<N extends CommandName>(
  worker: Worker,
  name: N,
  params: CommandParams<N>,
  env: Pick<SessionEnvironment, 'config' | 'observer'>,
  timeoutMs = env.config.commandTimeoutMs,
): Promise<CommandResult<N>> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    const result = await worker.request(name, params, timeoutMs);
    env.observer.command(name, seconds(), 'ok');
    return result;
  } catch (error) {
    env.observer.command(name, seconds(), 'error');
    throw error;
  }
}
