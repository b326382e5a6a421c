/** What a worker gets to run its engine: the operator's settings from the config, the session's own proxy. */
import type { EngineSettings } from '@wsm/ipc-protocol';
import type { Config } from '../config.js';
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
