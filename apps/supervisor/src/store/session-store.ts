/**
 * The durable registry of sessions, behind a small asynchronous port: SQLite embedded by default, PostgreSQL
 * when sessions span several machines. Every write resolves only once it is durable, and is compare-and-set
 * on the row's `version`, so two writers can never silently overwrite each other.
 */
import type { AppendedEvent, CausedEvents } from '../events/outbox-store.js';
import type { SessionPatch, SessionRecord } from '../session/session-record.js';
import type { Fence } from './fence.js';

export type InsertResult = { ok: true } | { ok: false; reason: 'exists' };

export type UpdateResult =
  /** `appended`: the events written with the change, in order. */
  | { ok: true; record: SessionRecord; appended: AppendedEvent[] }
  /**
   * `conflict`: the row is no longer at the expected version (someone else wrote it); `missing`: deleted;
   * `fenced`: the write named a fence whose lease is no longer held (taken over, or expired), whatever its version.
   */
  | { ok: false; reason: 'conflict' | 'missing' | 'fenced' };

export type { CausedEvents } from '../events/outbox-store.js';

export interface UpdateOptions {
  /** Appended in the change's transaction: both are durable, or neither is. */
  events?: CausedEvents;
  /**
   * Apply only while this lease is held and unexpired by the database's clock, checked in the same transaction
   * as the version. Stores without leases (SQLite, memory: one node) accept it and check nothing.
   */
  fence?: Fence;
}

export interface SessionStore {
  list(): Promise<SessionRecord[]>;
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /** Writes a new row at `record.version`; `exists` when the id is taken. */
  insert(record: SessionRecord): Promise<InsertResult>;
  /**
   * Applies `patch` if the row is at `expectedVersion` (the row then has `expectedVersion + 1`) and the fence,
   * if any, holds; appends `events` to the outbox in the same transaction. A refused change appends nothing.
   */
  update(sessionId: string, expectedVersion: number, patch: SessionPatch, options?: UpdateOptions): Promise<UpdateResult>;
  /**
   * Deletes the row (at `expectedVersion`, when given); false when there was none to delete. Not fenced: a
   * delete is the API's decision, not an owner's report, and a session nobody holds (no lease) must be deletable;
   * the version already refuses deleting a row changed since it was read.
   */
  delete(sessionId: string, expectedVersion?: number): Promise<boolean>;
  close(): Promise<void>;
}
