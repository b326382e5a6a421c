/** A SessionStore in memory, for unit tests of the session layer: the same contract as the SQLite store. */
import type { AppendedEvent, Cursor, NewEvent } from '../src/events/outbox-store.js';
import type { SessionPatch, SessionRecord } from '../src/session/session-record.js';
import type { InsertResult, SessionStore, UpdateOptions, UpdateResult } from '../src/store/session-store.js';

export class MemorySessionStore implements SessionStore {
  readonly rows = new Map<string, SessionRecord>();
  /** Events written with a change, in order: the outbox's part of the same transaction. */
  readonly events: NewEvent[] = [];

  async list(): Promise<SessionRecord[]> {
    // The stores' order: creation time, then id; code-unit order is SQLite's byte order for the ids' ASCII.
    const order = (a: SessionRecord, b: SessionRecord): number =>
      a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
    return [...this.rows.values()].sort(order).map((row) => structuredClone(row));
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
    // Event ids are unique, as in the outbox's table: a repeated one fails the whole change before anything is written.
    const ids = new Set(this.events.map((event) => event.envelope.id));
    for (const { envelope } of caused?.events ?? []) {
      if (ids.has(envelope.id)) throw new Error(`duplicate event id ${envelope.id}`);
      ids.add(envelope.id);
    }
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
