/**
 * The last log records of each session, supervisor's and worker's, for GET /sessions/:id/logs.
 * Fed by the logger's destination (logger.ts) with every JSON line, of which it keeps those that carry a
 * `sessionId`, after pino's redaction: what the API shows is exactly what the log shows.
 *
 * The logger exists before the stores do, so records go to this process's memory until services.ts hands over
 * the cluster's store with use(); nothing is logged about a session before then (its registry is not loaded yet).
 */
import { parseLogLine, type LogRecord } from './logs/log-record.js';
import { MemorySessionLogStore } from './logs/memory-session-log-store.js';
import type { SessionLogStore } from './logs/session-log-store.js';

export class SessionLogs {
  readonly #memory: MemorySessionLogStore;
  #store: SessionLogStore;

  constructor(perSession: number) {
    this.#memory = new MemorySessionLogStore(perSession);
    this.#store = this.#memory;
  }

  /** Takes one pino JSON line; lines without a sessionId are not a session's. */
  ingest(line: string): void {
    const entry = parseLogLine(line);
    if (entry !== undefined) this.#store.append(entry);
  }

  /** Cluster mode: records go to `store` from now on, and are read from it. */
  use(store: SessionLogStore): void {
    this.#store = store;
  }

  /** The most recent `limit` records, oldest first. */
  recent(sessionId: string, limit: number): Promise<LogRecord[]> {
    return this.#store.recent(sessionId, limit);
  }

  forget(sessionId: string): Promise<void> {
    return this.#store.forget(sessionId);
  }

  /** Writes what the store used still holds; what is logged after it (the last lines of a shutdown) goes to memory. */
  async close(): Promise<void> {
    const store = this.#store;
    this.#store = this.#memory;
    if (store !== this.#memory) await store.close();
  }
}
