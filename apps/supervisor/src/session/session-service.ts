/**
 * What the API does with sessions, in one place: create, start, stop, restart, log out, delete, change
 * settings, and read them. Reads come from the registry (the durable truth) plus the runner's view of the
 * processes; every change resolves once it is durable, so a route never has to remember to flush anything.
 */
import { EventEmitter } from 'node:events';
import type { EngineName } from '@wsm/ipc-protocol';
import { availableMemoryBytes } from '@wsm/procfs';
import { Errors } from '../errors.js';
import type { Session } from '../schemas/session.js';
import { toSession } from '../schemas/session-view.js';
import { decideAdmission, type AdmissionPolicy } from './admission-policy.js';
import type { SessionController } from './session-controller.js';
import { pageOf, type ListQuery, type Page } from './session-list.js';
import { isMeantToRun, newRecord, type NewSession, type SessionPatch, type SessionRecord } from './session-record.js';
import type { SessionRegistry } from './session-registry.js';
import type { RunnerEvents, SessionRunner } from './session-runner.js';
import { ViewTexts, type SerializeSession } from './view-texts.js';

export interface ServiceOptions {
  registry: SessionRegistry;
  runner: SessionRunner;
  admission: AdmissionPolicy;
  /** How long a request waits for its change to be durable before it answers 503 WSM_STORE_UNAVAILABLE. */
  storeTimeoutMs: number;
  /** What else a deleted session leaves behind (idempotency keys, log records), forgotten with it. */
  onRemoved?: Array<(sessionId: string) => Promise<void> | void>;
  /** What else a logout forgets (cluster mode: the saved pairing). */
  onLoggedOut?: (sessionId: string) => Promise<void>;
  /**
   * Cluster mode: takes the lease of a session nobody runs and runs it here (not started); undefined when
   * another node holds it. Without it (one node) every session is run here already.
   */
  acquire?: (sessionId: string) => Promise<SessionController | undefined>;
  /** Cluster mode: the node that runs each session, for the Session's `node` (undefined: nobody). */
  nodeOf?: (sessionId: string) => string | undefined;
}

const megabytes = (bytes: number): number => Math.round(bytes / 1048576);

export class SessionService extends EventEmitter<RunnerEvents> {
  readonly #options: ServiceOptions;
  readonly #registry: SessionRegistry;
  readonly #runner: SessionRunner;
  /** Sessions being deleted: a new session of the same id waits until the old one's files are gone. */
  readonly #removing = new Map<string, Promise<void>>();
  /** Ids being created right now: a concurrent create or start of the same id sees them. */
  readonly #creating = new Map<string, { meantToRun: boolean; controller: Promise<SessionController | undefined> }>();
  readonly #texts = new ViewTexts();

  constructor(options: ServiceOptions) {
    super();
    this.#options = options;
    this.#registry = options.registry;
    this.#runner = options.runner;
    this.#runner.on('status', (change) => this.emit('status', change));
    this.#runner.on('qr', (qr) => this.emit('qr', qr));
    this.#runner.on('event', (event) => this.emit('event', event));
  }

  get size(): number {
    return this.#registry.size;
  }

  /** The Session as the API shows it, or undefined. */
  view(sessionId: string): Session | undefined {
    const record = this.#registry.get(sessionId);
    return record === undefined ? undefined : this.#view(record);
  }

  requireView(sessionId: string): Session {
    const view = this.view(sessionId);
    if (view === undefined) throw new Errors.SESSION_NOT_FOUND(sessionId);
    return view;
  }

  /** The Session serialized by `serialize` (the route's own serializer), or WSM_SESSION_NOT_FOUND; kept until it changes. */
  requireViewText(sessionId: string, serialize: SerializeSession): string {
    const record = this.#registry.get(sessionId);
    if (record === undefined) throw new Errors.SESSION_NOT_FOUND(sessionId);
    const node = this.#options.nodeOf?.(sessionId) ?? null;
    return this.#texts.text(record, this.#runner.get(sessionId)?.runtime(), node, serialize);
  }

  list(): Session[] {
    return [...this.#registry.all()].map((record) => this.#view(record));
  }

  /** One page of sessions: filtered and cut on the registry's records, only the page's built as Sessions. */
  page(query: ListQuery): Page<Session> {
    const page = pageOf(this.#registry.all(), query);
    return { ...page, items: page.items.map((record) => this.#view(record)) };
  }

  /** Sessions meant to run on this node. */
  runningHere(): number {
    let running = 0;
    for (const controller of this.#runner.controllers()) if (isMeantToRun(controller)) running++;
    return running;
  }

  /** How many sessions are in each status (GET /health), without building a single Session. */
  countByStatus(): { total: number; byStatus: Record<string, number> } {
    const byStatus: Record<string, number> = {};
    for (const { status } of this.#registry.all()) byStatus[status] = (byStatus[status] ?? 0) + 1;
    return { total: this.#registry.size, byStatus };
  }

  /**
   * The running side of a session, for commands and waiting on its status. In a cluster, a session this node
   * does not run has none here: 503 WSM_SESSION_MOVING while it is meant to run (it is between nodes: requests
   * for a session another node runs were forwarded there), 409 WSM_SESSION_NOT_READY when it is stopped.
   */
  require(sessionId: string): SessionController {
    const record = this.#registry.require(sessionId);
    const controller = this.#runner.get(sessionId);
    if (controller !== undefined) return controller;
    if (isMeantToRun(record)) throw new Errors.SESSION_MOVING(sessionId, 'no node runs it at this moment');
    throw new Errors.SESSION_NOT_READY(sessionId, record.status);
  }

  /** Registers a new session (durably) and optionally starts it. Throws WSM_SESSION_EXISTS. */
  async create(input: NewSession, start: boolean): Promise<Session> {
    this.#assertOpen();
    if (this.#registry.get(input.sessionId) !== undefined || this.#creating.has(input.sessionId)) {
      throw new Errors.SESSION_EXISTS(input.sessionId);
    }
    if (start) this.admit(input.engine);
    const creating = this.#insert(input, start);
    this.#creating.set(input.sessionId, { meantToRun: start, controller: creating });
    try {
      const controller = await creating;
      if (start) controller?.start();
      await this.#registry.settled(input.sessionId, { deadlineMs: this.#options.storeTimeoutMs });
      return this.requireView(input.sessionId);
    } finally {
      this.#creating.delete(input.sessionId);
    }
  }

  /** POST /start-session: creates the session if new; `started` is false when it was already meant to run. */
  async startSession(sessionId: string, engine: EngineName): Promise<{ session: Session; started: boolean }> {
    this.#assertOpen();
    await this.#creating.get(sessionId)?.controller.catch(() => undefined);
    if (this.#registry.get(sessionId) === undefined) {
      return { session: await this.create({ sessionId, engine }, true), started: true };
    }
    const started = await this.start(sessionId);
    return { session: this.requireView(sessionId), started };
  }

  /** Makes the session meant to run (admitted first) and starts its worker; true when it was not meant to run. */
  async start(sessionId: string): Promise<boolean> {
    const record = this.#registry.require(sessionId);
    if (this.#runner.get(sessionId) === undefined || !isMeantToRun(record)) this.admit(record.engine);
    const controller = await this.#acquire(sessionId);
    const started = controller.start();
    await this.#durable(controller);
    return started;
  }

  /** Resolves once the stop is durable, not once the worker is gone: that shows as `stopping` → `stopped`. */
  async stop(sessionId: string): Promise<void> {
    const controller = await this.#acquire(sessionId);
    void controller.stop().catch(() => undefined);
    await this.#durable(controller);
  }

  async restart(sessionId: string): Promise<void> {
    const record = this.#registry.require(sessionId);
    if (this.#runner.get(sessionId) === undefined || !isMeantToRun(record)) this.admit(record.engine);
    const controller = await this.#acquire(sessionId);
    void controller.restart().catch(() => undefined);
    await this.#durable(controller);
  }

  /** Resolves once the device is unlinked, the worker stopped and the auth data deleted. */
  async logout(sessionId: string): Promise<void> {
    const controller = await this.#acquire(sessionId);
    await controller.logout();
    await this.#options.onLoggedOut?.(sessionId);
    await this.#durable(controller);
  }

  /** The caller's own settings (metadata, webhooks): written first, shown once durable. */
  async configure(sessionId: string, patch: Pick<SessionPatch, 'metadata' | 'webhooks'>): Promise<Session> {
    this.#registry.require(sessionId);
    await this.#registry.update(sessionId, patch, { deadlineMs: this.#options.storeTimeoutMs });
    return this.requireView(sessionId);
  }

  /** Stops the worker, deletes every file of the session, its registry row, and what else it left. */
  async remove(sessionId: string): Promise<void> {
    const controller = await this.#acquire(sessionId);
    const removal = (async () => {
      // Run here until its worker is gone: in a cluster, a hand-over meanwhile must find it and wait for it.
      await controller.remove();
      if (this.#runner.get(sessionId) === controller) this.#runner.release(sessionId);
      await this.#registry.remove(sessionId);
      for (const forget of this.#options.onRemoved ?? []) await forget(sessionId);
    })().finally(() => this.#removing.delete(sessionId));
    this.#removing.set(sessionId, removal);
    await removal;
  }

  /**
   * Admission control for a session about to be meant to run: at most MAX_SESSIONS of them, and enough
   * available memory left after its expected footprint. Throws a coded 429/503; running sessions are untouched.
   */
  admit(engine: EngineName): void {
    // Sessions meant to run on this node (in a cluster, the others' count against their own MAX_SESSIONS).
    let running = this.runningHere();
    // Being created, not yet in the registry: meant to run from the first moment all the same.
    for (const [sessionId, { meantToRun }] of this.#creating) if (meantToRun && this.#registry.get(sessionId) === undefined) running++;
    const decision = decideAdmission(this.#options.admission, { running, engine, availableBytes: availableMemoryBytes() });
    if (decision.admit) return;
    if (decision.reason === 'too-many-sessions') throw new Errors.TOO_MANY_SESSIONS(decision.running);
    throw new Errors.INSUFFICIENT_MEMORY(megabytes(decision.availableBytes), megabytes(this.#options.admission.minFreeBytes));
  }

  restore(): Promise<void> {
    return this.#runner.restore();
  }

  /** Stops every worker (in parallel), keeping each session's desired state for the next start. */
  async shutdown(): Promise<void> {
    await this.#runner.shutdown();
    await Promise.allSettled(this.#removing.values());
  }

  async #insert(input: NewSession, start: boolean): Promise<SessionController | undefined> {
    await this.#removing.get(input.sessionId);
    // Meant to run from the first moment: a concurrent create counts it against MAX_SESSIONS.
    const record = await this.#registry.create(newRecord(input, start ? 'running' : 'stopped', new Date().toISOString()));
    if (this.#options.acquire === undefined) return this.#runner.run(record);
    // A cluster runs a session only where its lease is: a session created stopped runs nowhere yet.
    return start ? this.#acquire(input.sessionId) : undefined;
  }

  /** The session's controller here; in a cluster, taking its lease first if nobody runs it (503 if another does). */
  async #acquire(sessionId: string): Promise<SessionController> {
    this.#registry.require(sessionId);
    const here = this.#runner.get(sessionId);
    if (here !== undefined) return here;
    const acquire = this.#options.acquire;
    if (acquire === undefined) throw new Errors.SESSION_NOT_FOUND(sessionId);
    const controller = await acquire(sessionId);
    if (controller === undefined) throw new Errors.SESSION_MOVING(sessionId, 'another node holds it');
    return controller;
  }

  #view(record: SessionRecord): Session {
    const node = this.#options.nodeOf?.(record.sessionId) ?? null;
    return toSession(record, this.#runner.get(record.sessionId)?.runtime(), node);
  }

  #durable(controller: SessionController): Promise<void> {
    return this.#registry.settled(controller.sessionId, { deadlineMs: this.#options.storeTimeoutMs });
  }

  #assertOpen(): void {
    if (this.#runner.closing) throw new Errors.SHUTTING_DOWN();
  }
}
