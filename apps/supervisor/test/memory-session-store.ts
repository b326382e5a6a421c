/** A SessionStore in memory, for unit tests of the session layer: the same contract as the SQLite store. */
import type { AppendedEvent, Cursor, NewEvent } from '../src/events/outbox-store.js';
import type { SessionPatch, SessionRecord } from '../src/session/session-record.js';
import type { InsertResult, SessionStore, UpdateOptions, UpdateResult } from '../src/store/session-store.js';

export class MemorySessionStore implements SessionStore {
  readonly rows = new Map<string, SessionRecord>();
  /** Events written with a change, in order: the outbox's part of the same transaction. */
  readonly events: NewEvent[] = [];

  async list(): Promise<SessionRecord[]> {
    return [...this.rows.values()].map((row) => structuredClone(row));
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const row = this.rows.get(sessionId);
    return row === undefined ? undefined : structuredClone(row);
  }

  async insert(record: SessionRecord): Promise<InsertResult> {
    if (this.rows.has(record.sessionId)) return { ok: false, reason: 'exists' };
    this.rows.set(record.sessionId, structuredClone(record));
    return { ok: true };
  }

  async update(
    sessionId: string,
    expectedVersion: number,
    patch: SessionPatch,
    // No leases in memory, as in SQLite: a fence is accepted and ignored.
    { events: caused }: UpdateOptions = {},
  ): Promise<UpdateResult> {
    const row = this.rows.get(sessionId);
    if (row === undefined) return { ok: false, reason: 'missing' };
    if (row.version !== expectedVersion) return { ok: false, reason: 'conflict' };
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const next = { ...row, ...structuredClone(defined), version: row.version + 1 };
    this.rows.set(sessionId, next);
    const appended: AppendedEvent[] = (caused?.events ?? []).map((event) => {
      this.events.push(event);
      return { eventSeq: this.events.length, cursor: String(this.events.length).padStart(16, '0') as Cursor };
    });
    return { ok: true, record: structuredClone(next), appended };
  }

  async delete(sessionId: string, expectedVersion?: number): Promise<boolean> {
    const row = this.rows.get(sessionId);
    if (row === undefined || (expectedVersion !== undefined && row.version !== expectedVersion)) return false;
    return this.rows.delete(sessionId);
  }

  async close(): Promise<void> {}
}
