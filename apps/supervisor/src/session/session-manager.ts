/**
 * All sessions of this supervisor: creation, lookup, removal, restoring after a restart, and shutdown.
 * It forwards every session's status, QR and engine events as its own, for whatever listens (SSE, webhooks).
 */
import { EventEmitter } from 'node:events';
import type { EngineEvent, EngineName } from '@wsm/ipc-protocol';
import { availableMemoryBytes } from '@wsm/procfs';
import { Errors } from '../errors.js';
import type { Session, WebhookTarget } from '../schemas/session.js';
import type { SessionRecord } from '../store/session-store.js';
import { SessionController, type SessionEnvironment, type StatusChange } from './session-controller.js';

export interface NewSession {
  sessionId: string;
  engine: EngineName;
  metadata?: Record<string, unknown>;
  webhooks?: WebhookTarget[];
  proxy?: string;
}

interface ManagerEvents {
  status: [StatusChange];
  qr: [{ sessionId: string; qr: string; attempt: number }];
  event: [{ sessionId: string; event: EngineEvent }];
}

/** What a new session of each engine is expected to take, for the free-memory guard (measured: bench/). */
const ENGINE_FOOTPRINT_BYTES: Record<EngineName, number> = {
  simulated: 64 * 1024 * 1024,
  webjs: 320 * 1024 * 1024,
};

const megabytes = (bytes: number): number => Math.round(bytes / 1048576);

/** A restored session counts as up once it has left `starting` (to qr, ready, backoff, failed...). */
const RESTORE_STEP_TIMEOUT_MS = 60_000;

export class SessionManager extends EventEmitter<ManagerEvents> {
  readonly #env: SessionEnvironment;
  readonly #sessions = new Map<string, SessionController>();
  /** Sessions being deleted: a new session of the same id waits until the old one's files are gone. */
  readonly #removing = new Map<string, Promise<void>>();
  #closing = false;

  constructor(env: SessionEnvironment) {
    super();
    this.#env = env;
  }

  /** Reads the registry. Sessions come back stopped (or failed); `restore()` starts those meant to run. */
  async load(): Promise<void> {
    for (const record of await this.#env.store.list()) {
      const status = record.status === 'failed' ? 'failed' : 'stopped';
      const controller = this.#adopt({ ...record, status });
      if (record.status !== status) await this.#env.store.update(record.sessionId, { status });
      this.#sessions.set(record.sessionId, controller);
    }
  }

  /** Starts every session meant to run, `concurrency` at a time, each step waiting until it is past `starting`. */
  async restore(concurrency: number): Promise<void> {
    const queue = [...this.#sessions.values()].filter((session) => session.desiredState === 'running');
    this.#env.log.info({ sessions: queue.length, concurrency }, 'restoring sessions');
    const runner = async (): Promise<void> => {
      for (let session = queue.shift(); session !== undefined && !this.#closing; session = queue.shift()) {
        // Stopped, logged out or deleted while it waited in line: leave it be.
        if (session.desiredState !== 'running' || this.#sessions.get(session.sessionId) !== session) continue;
        session.start();
        await session.settled();
        await this.#leftStarting(session);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, runner));
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(sessionId: string): SessionController | undefined {
    return this.#sessions.get(sessionId);
  }

  require(sessionId: string): SessionController {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) throw new Errors.SESSION_NOT_FOUND(sessionId);
    return session;
  }

  controllers(): IterableIterator<SessionController> {
    return this.#sessions.values();
  }

  list(): Session[] {
    return [...this.#sessions.values()].map((session) => session.toSession());
  }

  /** Registers a new session (durably) and optionally starts it. Throws WSM_SESSION_EXISTS. */
  async create(input: NewSession, start: boolean): Promise<SessionController> {
    this.#assertOpen();
    if (this.#sessions.has(input.sessionId)) throw new Errors.SESSION_EXISTS(input.sessionId);
    if (start) this.admit(input.engine);
    const at = new Date().toISOString();
    const record: SessionRecord = {
      sessionId: input.sessionId,
      engine: input.engine,
      status: 'stopped',
      // Meant to run from the first moment: a concurrent create counts it against MAX_SESSIONS.
      desiredState: start ? 'running' : 'stopped',
      restarts: 0,
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      readyAt: null,
      lastError: null,
      me: null,
      metadata: input.metadata ?? {},
      webhooks: input.webhooks ?? [],
      proxy: input.proxy ?? null,
    };
    // In the map before the first await: a concurrent create or start of the same id sees it.
    const controller = this.#adopt(record);
    this.#sessions.set(record.sessionId, controller);
    try {
      await this.#removing.get(record.sessionId);
      // Deleted again while waiting for the previous removal: do not write a row nobody holds.
      if (this.#sessions.get(record.sessionId) !== controller) throw new Errors.SESSION_NOT_FOUND(record.sessionId);
      await this.#env.store.insert(record);
    } catch (error) {
      if (this.#sessions.get(record.sessionId) === controller) this.#sessions.delete(record.sessionId);
      throw error;
    }
    if (start) controller.start();
    await controller.flush();
    return controller;
  }

  /** POST /start-session: creates the session if new; `started` is false when it was already meant to run. */
  async startSession(sessionId: string, engine: EngineName): Promise<{ session: SessionController; started: boolean }> {
    this.#assertOpen();
    const existing = this.#sessions.get(sessionId);
    if (existing === undefined) return { session: await this.create({ sessionId, engine }, true), started: true };
    if (existing.desiredState !== 'running') this.admit(existing.engine);
    const started = existing.start();
    await existing.flush();
    return { session: existing, started };
  }

  /**
   * Admission control for a session about to be meant to run: at most MAX_SESSIONS of them, and enough
   * available memory left after its expected footprint. Throws a coded 429/503; running sessions are untouched.
   */
  admit(engine: EngineName): void {
    const { maxSessions, minFreeBytes } = this.#env.config.admission;
    let running = 0;
    for (const session of this.#sessions.values()) if (session.desiredState === 'running') running++;
    if (running >= maxSessions) throw new Errors.TOO_MANY_SESSIONS(running);
    const available = availableMemoryBytes();
    if (available !== undefined && available - ENGINE_FOOTPRINT_BYTES[engine] < minFreeBytes) {
      throw new Errors.INSUFFICIENT_MEMORY(megabytes(available), megabytes(minFreeBytes));
    }
  }

  async remove(sessionId: string): Promise<void> {
    const session = this.require(sessionId);
    this.#sessions.delete(sessionId);
    const removal = session.remove().finally(() => this.#removing.delete(sessionId));
    this.#removing.set(sessionId, removal);
    await removal;
  }

  /** Stops every worker (in parallel), keeping each session's desired state for the next start. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#sessions.values()].map((session) => session.shutdown()));
    await Promise.allSettled(this.#removing.values());
  }

  #assertOpen(): void {
    if (this.#closing) throw new Errors.SHUTTING_DOWN();
  }

  #adopt(record: SessionRecord): SessionController {
    const controller = new SessionController(record, this.#env);
    controller.on('status', (change) => this.emit('status', change));
    controller.on('qr', (qr) => this.emit('qr', qr));
    controller.on('event', (event) => this.emit('event', event));
    return controller;
  }

  #leftStarting(session: SessionController): Promise<void> {
    if (session.status !== 'starting') return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        session.off('status', onStatus);
        resolve();
      };
      const onStatus = (change: StatusChange): void => {
        if (change.status !== 'starting') done();
      };
      const timer = setTimeout(done, RESTORE_STEP_TIMEOUT_MS);
      session.on('status', onStatus);
    });
  }
}
