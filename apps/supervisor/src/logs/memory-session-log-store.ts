/** SessionLogStore in this process's memory, for one node: each session's records in a list cut to its last N. */
import type { LogRecord, SessionLogEntry } from './log-record.js';
import type { SessionLogStore } from './session-log-store.js';

export class MemorySessionLogStore implements SessionLogStore {
  readonly #perSession: number;
  readonly #records = new Map<string, LogRecord[]>();

  constructor(perSession: number) {
    this.#perSession = perSession;
  }

  append({ sessionId, record }: SessionLogEntry): void {
    let records = this.#records.get(sessionId);
    if (records === undefined) {
      records = [];
      this.#records.set(sessionId, records);
    }
    records.push(record);
    if (records.length > this.#perSession) records.splice(0, records.length - this.#perSession);
  }

  async recent(sessionId: string, limit: number): Promise<LogRecord[]> {
    return (this.#records.get(sessionId) ?? []).slice(-limit);
  }

  async forget(sessionId: string): Promise<void> {
    this.#records.delete(sessionId);
  }

  /** Nothing to do: append() keeps every list at its bound. */
  async prune(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}
