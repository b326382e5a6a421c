/**
 * The serialized Session of each registry record, made once per change instead of on every read: GET
 * /sessions/:id answers the same few hundred bytes thousands of times a second, and building the view (masking
 * URLs, copying fields) and serializing it was a sixth of its CPU. A change replaces the registry's record
 * object, so a text kept with the record it was built from can never be stale; the live fields of the process
 * (pids, the memory sample object, which the monitor replaces, and the cluster node) are compared on every read.
 */
import type { Session } from '../schemas/session.js';
import { NOT_RUNNING, toSession } from '../schemas/session-view.js';
import type { SessionRecord } from './session-record.js';
import type { SessionRuntime } from './session-runtime.js';

export type SerializeSession = (session: Session) => string;

interface Entry extends SessionRuntime {
  node: string | null;
  serialize: SerializeSession;
  text: string;
}

const sameEntry = (entry: Entry, runtime: SessionRuntime, node: string | null, serialize: SerializeSession): boolean =>
  entry.pid === runtime.pid &&
  entry.browserPid === runtime.browserPid &&
  entry.memory === runtime.memory &&
  entry.node === node &&
  entry.serialize === serialize;

export class ViewTexts {
  // Weak: a record replaced or deleted takes its text with it.
  readonly #entries = new WeakMap<SessionRecord, Entry>();

  text(record: SessionRecord, runtime: SessionRuntime = NOT_RUNNING, node: string | null, serialize: SerializeSession): string {
    const entry = this.#entries.get(record);
    if (entry !== undefined && sameEntry(entry, runtime, node, serialize)) return entry.text;
    const text = serialize(toSession(record, runtime, node));
    this.#entries.set(record, { pid: runtime.pid, browserPid: runtime.browserPid, memory: runtime.memory, node, serialize, text });
    return text;
  }
}
