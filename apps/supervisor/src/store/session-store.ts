/**
 * The durable registry of sessions, behind a small asynchronous port: SQLite embedded by default, PostgreSQL
 * when sessions span several machines. Every write resolves only once it is durable, and is compare-and-set
 * on the row's `version`, so two writers can never silently overwrite each other.
 */
import type { AppendedEvent, Claim, NewEvent } from '../events/outbox-store.js';
import type { SessionPatch, SessionRecord } from '../session/session-record.js';

export type InsertResult = { ok: true } | { ok: false; reason: 'exists' };

export type UpdateResult =
  /** `appended`: the events written with the change, in order. */
  | { ok: true; record: SessionRecord; appended: AppendedEvent[] }
  /** `conflict`: the row is no longer at the expected version (someone else wrote it); `missing`: deleted. */
  | { ok: false; reason: 'conflict' | 'missing' };

export interface SessionStore {
  list(): Promise<SessionRecord[]>;
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /** Writes a new row at `record.version`; `exists` when the id is taken. */
  insert(record: SessionRecord): Promise<InsertResult>;
  /**
   * Applies `patch` if the row is at `expectedVersion` (the row then has `expectedVersion + 1`), and appends the
   * events the change causes to the outbox in the same transaction: both are durable, or neither is. A refused
   * change appends nothing. `claim` holds the deliveries written already claimed (see outbox-store.ts).
   */
  update(
    sessionId: string,
    expectedVersion: number,
    patch: SessionPatch,
    events?: { events: ReadonlyArray<NewEvent>; claim: Claim },
  ): Promise<UpdateResult>;
  /** Deletes the row (at `expectedVersion`, when given); false when there was none to delete. */
  delete(sessionId: string, expectedVersion?: number): Promise<boolean>;
  close(): Promise<void>;
}
