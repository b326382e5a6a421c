/**
 * A session's lifecycle fields as its controller acts on them, written through the registry in order. Status
 * changes pass the state machine here and only here, and each is written with its `session.status` event in one
 * transaction (where the store allows); it is announced once written, so whoever hears of it finds the
 * registry and the outbox saying the same.
 */
import type { Logger } from 'pino';
import type { SessionEnvironment, StatusChange } from './session-environment.js';
import type { SessionPatch, SessionRecord } from './session-record.js';
import type { WriteOptions } from './session-registry.js';
import { canTransition, type SessionStatus } from './state-machine.js';

/** The fields the controller acts on; the rest of the record is the caller's and lives in the registry only. */
export type Lifecycle = Pick<SessionRecord, 'engine' | 'proxy' | 'status' | 'desiredState' | 'restarts'>;

const LIFECYCLE_FIELDS = ['engine', 'proxy', 'status', 'desiredState', 'restarts'] as const;

export class SessionLifecycle {
  readonly #sessionId: string;
  readonly #env: Pick<SessionEnvironment, 'registry' | 'events'>;
  readonly #log: Logger;
  readonly #onStatus: (change: StatusChange) => void;
  readonly #fields: Lifecycle;

  constructor(
    record: SessionRecord,
    env: Pick<SessionEnvironment, 'registry' | 'events'>,
    log: Logger,
    onStatus: (change: StatusChange) => void,
  ) {
    this.#sessionId = record.sessionId;
    const { engine, proxy, status, desiredState, restarts } = record;
    this.#fields = { engine, proxy, status, desiredState, restarts };
    this.#env = env;
    this.#log = log;
    this.#onStatus = onStatus;
  }

  get fields(): Readonly<Lifecycle> {
    return this.#fields;
  }

  get status(): SessionStatus {
    return this.#fields.status;
  }

  /**
   * Changes the status if the state machine allows it (refused edges are logged and change nothing), with the
   * patch. `then` runs once the change and its event are written, or the write was refused.
   */
  transition(to: SessionStatus, reason: string | undefined, patch: SessionPatch = {}, then?: () => void): boolean {
    const from = this.#fields.status;
    if (from === to) {
      if (Object.keys(patch).length > 0) this.update(patch);
      then?.();
      return true;
    }
    if (!canTransition(from, to)) {
      this.#log.warn({ from, to, reason }, 'refused a status change the state machine does not allow');
      return false;
    }
    this.#log.info({ from, to, reason }, `session ${to}`);
    const change: StatusChange = { sessionId: this.#sessionId, status: to, previous: from, reason, at: new Date().toISOString() };
    const { events } = this.#env;
    const data = { status: to, previous: from, ...(reason === undefined ? {} : { reason }) };
    const event = events.prepare(this.#sessionId, 'session.status', data);
    this.update({ ...patch, status: to }, {
      events: { events: [event], claim: events.claim() },
      afterWrite: (appended) => {
        if (appended === undefined) events.discard([event]);
        else events.announce([event], appended);
        this.#onStatus(change);
        then?.();
      },
    });
    return true;
  }

  /** Acts on the change at once and writes it through the registry, which retries it until it is durable. */
  update(patch: SessionPatch, options: WriteOptions = {}): void {
    for (const field of LIFECYCLE_FIELDS) {
      if (patch[field] !== undefined) (this.#fields as Record<string, unknown>)[field] = patch[field];
    }
    this.#env.registry.update(this.#sessionId, patch, { ...options, asOwner: true }).catch((error: unknown) => {
      // Refused by compare-and-set or deleted: the registry logged it; nothing of ours to retry.
      this.#log.warn({ err: error }, 'the registry refused a session change');
    });
  }
}
