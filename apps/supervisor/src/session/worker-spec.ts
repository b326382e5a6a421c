/** What a session's worker is started with: its engine's settings (the operator's config, the session's proxy) and the rest. */
import type { Logger } from 'pino';
import type { EngineSettings } from '@wsm/ipc-protocol';
import type { Config } from '../config.js';
import type { WorkerSpec } from '../worker/worker-handle.js';
import type { SessionEnvironment } from './session-environment.js';
import type { SessionRecord } from './session-record.js';

export function engineSettings(session: Pick<SessionRecord, 'engine' | 'proxy'>, config: Config): EngineSettings {
  if (session.engine === 'simulated') return { engine: 'simulated', options: {} };
  return {
    engine: 'webjs',
    options: {
      ...config.webjs,
      chromiumArgs: config.chromiumArgs,
      ...(config.chromiumPath ? { chromiumPath: config.chromiumPath } : {}),
      ...(session.proxy ? { proxy: session.proxy } : {}),
    },
  };
}

export function workerSpec(
  sessionId: string,
  session: Pick<SessionRecord, 'engine' | 'proxy'>,
  env: Pick<SessionEnvironment, 'config' | 'owner' | 'sessionDir'>,
  log: Logger,
): WorkerSpec {
  const { config } = env;
  return {
    sessionId,
    sessionDir: env.sessionDir(sessionId),
    settings: engineSettings(session, config),
    entry: config.workerEntry,
    owner: env.owner,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    stopTimeoutMs: config.stopTimeoutMs,
    nice: config.workerNice,
    logLevel: config.logLevel,
    log,
  };
}
