import { resolve, sep } from 'node:path';
import { isValidSessionId } from './constants.js';

/**
 * Where a session's files live, shared by the supervisor (which passes it to the worker) and the standalone worker:
 * `<dataDir>/sessions/<sessionId>`, built only from a session id that passed the contract's pattern. */
export function sessionDirectory(dataDir: string, sessionId: string): string {
  if (!isValidSessionId(sessionId)) throw new Error(`invalid session id ${JSON.stringify(sessionId)}`);
  const root = resolve(dataDir, 'sessions');
  const directory = resolve(root, sessionId);
  if (!directory.startsWith(root + sep)) throw new Error(`session directory escapes ${root}`);
  return directory;
}
