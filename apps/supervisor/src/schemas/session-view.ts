/**
 * The HTTP `Session`: the registry's record as API clients see it (credentials in URLs masked), plus what
 * only the process running it knows (its pids and memory).
 */
import { maskCredentials } from '../net/mask-url.js';
import type { SessionRecord } from '../session/session-record.js';
import type { SessionRuntime } from '../session/session-runtime.js';
import type { Session } from './session.js';

export const NOT_RUNNING: SessionRuntime = { pid: null, browserPid: null, memory: null };

/** `node`: in a cluster, the node running the session (null when none, and always on a single node). */
export function toSession(record: SessionRecord, runtime: SessionRuntime = NOT_RUNNING, node: string | null = null): Session {
  const { version: _version, ...fields } = record;
  return {
    ...fields,
    proxy: record.proxy === null ? null : maskCredentials(record.proxy),
    webhooks: record.webhooks.map((target) => ({ ...target, url: maskCredentials(target.url) })),
    ...runtime,
    node,
  };
}
