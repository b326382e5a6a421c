/**
 * The durable registry of sessions, behind a small asynchronous interface: SQLite embedded by default, and the
 * same interface for a PostgreSQL store when sessions span several machines. Every write resolves only once
 * it is durable: the API answers after it.
 */
import type { Session } from '../schemas/session.js';

/** What is persisted of a session: everything but the runtime pid. */
export type SessionRecord = Omit<Session, 'pid' | 'browserPid' | 'memory'>;
export type SessionPatch = Partial<Omit<SessionRecord, 'sessionId' | 'createdAt'>>;

export interface SessionStore {
  list(): Promise<SessionRecord[]>;
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /** Rejects when the session already exists. */
  insert(record: SessionRecord): Promise<void>;
  update(sessionId: string, patch: SessionPatch): Promise<void>;
  delete(sessionId: string): Promise<void>;
  close(): Promise<void>;
}
