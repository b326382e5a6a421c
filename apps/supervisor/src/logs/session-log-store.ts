/**
 * The port for the log records of sessions (GET /sessions/:id/logs): the last SESSION_LOG_RECORDS of each.
 * In this process's memory on one node (memory-session-log-store.ts); in PostgreSQL in a cluster
 * (pg-session-log-store.ts), so that a session's history follows it to whichever node runs it next.
 */
import type { LogRecord, SessionLogEntry } from './log-record.js';

export interface SessionLogStore {
  /**
   * Takes one record. Called by the logger's destination for every line about a session: it never throws, never
   * waits and never holds more than a bounded number of records, whatever the store behind it does.
   */
  append(entry: SessionLogEntry): void;
  /** The session's last `limit` records (at most SESSION_LOG_RECORDS), oldest first, with any appended before the call. */
  recent(sessionId: string, limit: number): Promise<LogRecord[]>;
  /** Drops every record of a deleted session; failing, it leaves them to prune(). */
  forget(sessionId: string): Promise<void>;
  /** Cuts sessions back to their last SESSION_LOG_RECORDS; resolves with how many records went. */
  prune(): Promise<number>;
  /** Keeps what is still held (written to the database); records appended later are not kept. */
  close(): Promise<void>;
}
