/**
 * The registry: the only durable truth of sessions. Reads come from a cache of committed rows; every write
 * goes to the store first and reaches the cache only once it is durable, so what the API shows is what the
 * store holds. On one node this process is the store's only writer; in a cluster the other nodes' changes
 * reach the cache through `refresh` and `reload` (cluster/pg-listener.ts), and a write of a session this node
 * runs carries the node's fence: once another node holds the session, it is refused.
 *
 * One failure rule for every write: writes of one session run in order, and a write the store fails is
 * retried in place (later writes of that session wait behind it) until it is durable. A caller that cannot
 * wait that long gives a deadline and gets 503 WSM_STORE_UNAVAILABLE; its write still lands, in order, once the
 * store is back. A write refused by compare-and-set (someone else changed or deleted the row) or by its fence
 * (in a cluster, another node holds the session now) is not retried: the cache takes the store's row and the
 * caller gets the refusal.
 */
import type { Logger } from 'pino';
import { Errors } from '../errors.js';
import type { AppendedEvent } from '../events/outbox-store.js';
import type { Fence } from '../store/fence.js';
import type { CausedEvents, SessionStore, UpdateOptions } from '../store/session-store.js';
import type { SessionPatch, SessionRecord } from './session-record.js';

const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 5000;


export interface WriteOptions {
  /** Reject with 503 WSM_STORE_UNAVAILABLE if not durable by then (the write itself goes on). */
  deadlineMs?: number;
  /** Events the change causes: written in the same transaction as the change (where the store allows). */
  events?: CausedEvents;
  /** The lease this node writes under (cluster): once another holds the session, the write is refused, 409 WSM_SESSION_FENCED. */
  fence?: Fence;
  /**
   * A write of the session's owner (its controller): in a cluster it must carry a fence, and one made once this
   * node no longer holds the session is refused, never written unfenced.
   */
  asOwner?: boolean;
  /**
   * Runs as soon as the write is settled, before anything waiting on the session's writes resumes: with the
   * events as appended when it is durable, with undefined when it was refused (its events were not written).
   */
  afterWrite?: (appended: AppendedEvent[] | undefined) => void;
}

export interface RegistryOptions {
  /** Cluster mode: the fence of every write of a session this node holds (cluster-node.ts). */
  fenceOf?: (sessionId: string) => Fence | undefined;
}

class Refused extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

export class SessionRegistry {
  readonly #store: SessionStore;
  readonly #log: Logger;
  readonly #records = new Map<string, SessionRecord>();
  /** When each session was last refreshed (a counter), so that a reload does not undo a newer refresh. */
  readonly #refreshes = new Map<string, number>();
  #refreshCount = 0;
  /** Each session's write chain: the last write queued, settled once it is durable or refused. */
  readonly #tails = new Map<string, Promise<unknown>>();

  /** In a cluster, the lease this node writes a session's changes under (undefined: it does not hold it). */
  readonly #fenceOf: (sessionId: string) => Fence | undefined;

  readonly #clustered: boolean;

  private constructor(store: SessionStore, log: Logger, fenceOf: ((sessionId: string) => Fence | undefined) | undefined) {
    this.#store = store;
    this.#log = log;
    this.#fenceOf = fenceOf ?? (() => undefined);
    this.#clustered = fenceOf !== undefined;
  }

  static async load(store: SessionStore, log: Logger, options: RegistryOptions = {}): Promise<SessionRegistry> {
    const registry = new SessionRegistry(store, log, options.fenceOf);
    for (const record of await store.list()) registry.#records.set(record.sessionId, record);
    return registry;
  }

  /**
   * Takes the store's row of one session (another node changed it), after this node's own writes of it: the
   * stored row replaces the cached one whatever its version (a session deleted and created again starts at
   * version 1), a missing row removes it. Resolves with the cached row.
   */
  refresh(sessionId: string): Promise<SessionRecord | undefined> {
    this.#refreshes.set(sessionId, ++this.#refreshCount);
    return this.#enqueue(
      sessionId,
      async () => {
        const stored = await this.#retrying(sessionId, 'read', () => this.#store.get(sessionId));
        if (stored === undefined) this.#records.delete(sessionId);
        else this.#records.set(sessionId, stored);
        return stored;
      },
      {},
    );
  }

  /**
   * Another node (or this one) updated the session's row to `version`: refreshed unless the cache already has
   * that version or a later one of this row, as the node that made the change has (no read of its own write).
   */
  updated(sessionId: string, version: number): Promise<SessionRecord | undefined> {
    const cached = this.#records.get(sessionId);
    if (cached !== undefined && cached.version >= version) return Promise.resolve(cached);
    return this.refresh(sessionId);
  }

  /**
   * Takes every row of the store (after a lost notification connection). A session refreshed since the list
   * was read keeps what its refresh found: the list may predate its deletion or its new incarnation.
   */
  async reload(): Promise<void> {
    const mark = this.#refreshCount;
    const stored = await this.#store.list();
    const changedSince = (sessionId: string): boolean => (this.#refreshes.get(sessionId) ?? 0) > mark;
    const ids = new Set(stored.map((record) => record.sessionId));
    for (const record of stored) {
      if (changedSince(record.sessionId)) continue;
      const cached = this.#records.get(record.sessionId);
      const newer = cached === undefined || cached.createdAt !== record.createdAt || record.version > cached.version;
      if (newer) this.#records.set(record.sessionId, record);
    }
    for (const sessionId of [...this.#records.keys()]) if (!ids.has(sessionId) && !changedSince(sessionId)) void this.refresh(sessionId);
  }

  get size(): number {
    return this.#records.size;
  }

  get(sessionId: string): SessionRecord | undefined {
    return this.#records.get(sessionId);
  }

  require(sessionId: string): SessionRecord {
    const record = this.#records.get(sessionId);
    if (record === undefined) throw new Errors.SESSION_NOT_FOUND(sessionId);
    return record;
  }

  all(): IterableIterator<SessionRecord> {
    return this.#records.values();
  }

  /** Writes a new session; 409 WSM_SESSION_EXISTS when the id is taken. */
  async create(record: SessionRecord): Promise<SessionRecord> {
    if (this.#records.has(record.sessionId)) throw new Errors.SESSION_EXISTS(record.sessionId);
    const result = await this.#store.insert(record);
    if (!result.ok) throw new Errors.SESSION_EXISTS(record.sessionId);
    this.#records.set(record.sessionId, record);
    return record;
  }

  /** Queues `patch` behind the session's earlier writes; resolves with the row once it is durable. */
  update(sessionId: string, patch: SessionPatch, options: WriteOptions = {}): Promise<SessionRecord> {
    const stamped: SessionPatch = { ...patch, updatedAt: new Date().toISOString() };
    const write = async (): Promise<SessionRecord> => {
      let appended: AppendedEvent[] | undefined;
      try {
        const fence = options.fence ?? this.#fenceOf(sessionId);
        if (fence === undefined && options.asOwner === true && this.#clustered) {
          this.#log.warn({ sessionId }, 'an owner write after this node gave the session up; refused');
          throw new Refused(new Errors.SESSION_FENCED(sessionId));
        }
        const written = await this.#writeUntilDurable(sessionId, stamped, { events: options.events, fence });
        appended = written.appended;
        return written.record;
      } finally {
        options.afterWrite?.(appended);
      }
    };
    return this.#enqueue(sessionId, write, options);
  }

  /** Deletes the session's row once its earlier writes are done. */
  remove(sessionId: string, options: WriteOptions = {}): Promise<void> {
    return this.#enqueue(
      sessionId,
      async () => {
        await this.#retrying(sessionId, 'delete', () => this.#store.delete(sessionId));
        this.#records.delete(sessionId);
        this.#tails.delete(sessionId);
      },
      options,
    );
  }

  /** Resolves once every write queued so far for the session is durable (or refused). */
  settled(sessionId: string, options: WriteOptions = {}): Promise<void> {
    const tail = (this.#tails.get(sessionId) ?? Promise.resolve()).then(() => undefined);
    return withDeadline(tail, options.deadlineMs);
  }

  #enqueue<T>(sessionId: string, write: () => Promise<T>, options: WriteOptions): Promise<T> {
    const previous = this.#tails.get(sessionId) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(write);
    this.#tails.set(
      sessionId,
      result.catch(() => undefined),
    );
    const unwrapped = result.catch((error: unknown) => {
      throw error instanceof Refused ? error.error : error;
    });
    return withDeadline(unwrapped, options.deadlineMs);
  }

  async #writeUntilDurable(
    sessionId: string,
    patch: SessionPatch,
    options: UpdateOptions,
  ): Promise<{ record: SessionRecord; appended: AppendedEvent[] }> {
    const current = this.#records.get(sessionId);
    if (current === undefined) throw new Refused(new Errors.SESSION_NOT_FOUND(sessionId));
    const result = await this.#retrying(sessionId, 'update', () => this.#store.update(sessionId, current.version, patch, options));
    if (result.ok) {
      this.#records.set(sessionId, result.record);
      return { record: result.record, appended: result.appended };
    }
    // Someone else wrote or deleted the row, or holds the session now: take the store's word for it, never
    // overwrite it. A fenced write is not retried either: this node's lease is gone, and no retry brings it back.
    // Read until it answers: a store that fails this read has not deleted the session.
    const stored = await this.#retrying(sessionId, 'read', () => this.#store.get(sessionId));
    if (stored === undefined) {
      this.#records.delete(sessionId);
      throw new Refused(new Errors.SESSION_NOT_FOUND(sessionId));
    }
    this.#records.set(sessionId, stored);
    if (result.reason === 'fenced') {
      this.#log.warn({ sessionId, fence: options.fence, version: stored.version }, 'session held under another lease; write refused');
      throw new Refused(new Errors.SESSION_FENCED(sessionId));
    }
    this.#log.warn({ sessionId, expected: current.version, found: stored.version }, 'session row changed underneath; write refused');
    throw new Refused(new Errors.SESSION_CONFLICT(sessionId));
  }

  async #retrying<T>(sessionId: string, what: string, attempt: () => Promise<T>): Promise<T> {
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        return await attempt();
      } catch (error) {
        this.#log.error({ err: error, sessionId, retryInMs: delay }, `could not ${what} the session; retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** `promise`, or 503 WSM_STORE_UNAVAILABLE once `deadlineMs` has passed (the write it waits for goes on). */
function withDeadline<T>(promise: Promise<T>, deadlineMs: number | undefined): Promise<T> {
  if (deadlineMs === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Errors.STORE_UNAVAILABLE(deadlineMs)), deadlineMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
