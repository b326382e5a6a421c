/**
 * One session's lifecycle in this process: its status (changed only through `#transition`, which enforces the
 * state machine), its worker handle, and what happens when the worker dies.
 *
 * Lifecycle operations (start, stop, restart, logout, remove) run one at a time through `#ops`, so a start
 * that arrives while a stop is still waiting for its worker simply runs after it: there is never more than one
 * worker per session. The controller acts on its own copy of the session's lifecycle fields and writes every
 * change through the registry, in order; `durable()` resolves once every change so far is in the store.
 */
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type {
  CommandName,
  CommandParams,
  CommandResult,
  EngineEvent,
  Me,
  WorkerStatus,
} from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import { workerSpec } from './worker-spec.js';
import { decideAfterExit } from './exit-report.js';
import { OperationQueue } from './operation-queue.js';
import { forkWorker, type SessionEnvironment, type StatusChange } from './session-environment.js';
import type { SessionMemory, SessionRuntime } from './session-runtime.js';
import { isMeantToRun, type LastError, type SessionPatch, type SessionRecord } from './session-record.js';
import type { WriteOptions } from './session-registry.js';
import { canTransition, type SessionStatus } from './state-machine.js';
import type { WorkerExit } from '../worker/worker-handle.js';
import type { Worker } from '../worker/worker-port.js';

interface SessionEvents {
  status: [StatusChange];
  qr: [{ sessionId: string; qr: string; attempt: number }];
  event: [{ sessionId: string; event: EngineEvent }];
}

const now = (): string => new Date().toISOString();

/** The fields the controller acts on; the rest of the record is the caller's and lives in the registry only. */
type Lifecycle = Pick<SessionRecord, 'engine' | 'proxy' | 'status' | 'desiredState' | 'restarts'>;

export class SessionController extends EventEmitter<SessionEvents> {
  readonly sessionId: string;
  readonly #env: SessionEnvironment;
  readonly #log: Logger;
  #record: Lifecycle;
  #handle: Worker | undefined;
  #qr: string | undefined;
  #consecutiveCrashes = 0;
  #backoffTimer: NodeJS.Timeout | undefined;
  /** Deleted, or this process is exiting: no new worker, whatever happens. */
  #retired = false;
  readonly #ops: OperationQueue;
  /** The last memory sample of the worker and its browser (resource-monitor.ts). */
  memory: SessionMemory | null = null;

  constructor(record: SessionRecord, env: SessionEnvironment) {
    super();
    this.sessionId = record.sessionId;
    const { engine, proxy, status, desiredState, restarts } = record;
    this.#record = { engine, proxy, status, desiredState, restarts };
    this.#env = env;
    this.#log = env.log.child({ sessionId: record.sessionId });
    this.#ops = new OperationQueue((error) => this.#log.error({ err: error }, 'session operation failed'));
  }

  get status(): SessionStatus {
    return this.#record.status;
  }

  get engine(): SessionRecord['engine'] {
    return this.#record.engine;
  }

  get desiredState(): SessionRecord['desiredState'] {
    return this.#record.desiredState;
  }

  /** Throws 409 WSM_SESSION_NOT_READY unless the session is `ready`. */
  assertReady(): void {
    if (this.status !== 'ready') throw new Errors.SESSION_NOT_READY(this.sessionId, this.status);
  }

  /** The QR the session shows; throws 409 WSM_QR_NOT_AVAILABLE unless it is in `qr` with a code. */
  requireQr(): string {
    const qr = this.qr;
    if (qr === undefined) throw new Errors.QR_NOT_AVAILABLE(this.sessionId, this.status);
    return qr;
  }

  get qr(): string | undefined {
    return this.#record.status === 'qr' ? this.#qr : undefined;
  }

  get worker(): Worker | undefined {
    return this.#handle;
  }

  /** What only this process knows of the session: its processes and their memory. */
  runtime(): SessionRuntime {
    const alive = this.#handle?.alive === true;
    return {
      pid: alive ? (this.#handle!.pid ?? null) : null,
      browserPid: alive ? (this.#handle!.browser?.pid ?? null) : null,
      memory: alive ? this.memory : null,
    };
  }

  /** Resolves once every lifecycle operation queued so far has run. */
  settled(): Promise<void> {
    return this.#ops.settled();
  }

  /** Resolves once every change made so far is in the store. */
  durable(): Promise<void> {
    return this.#env.registry.settled(this.sessionId);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Makes the session meant to run and starts its worker unless one is up. True when it was not meant to run. */
  start(): boolean {
    const wasRunning = isMeantToRun(this.#record);
    if (!wasRunning) {
      this.#consecutiveCrashes = 0;
      this.#update({ desiredState: 'running', lastError: null });
    }
    // With nothing queued, the worker is forked now, so its `starting` is durable with the start itself.
    if (this.#ops.idle) this.#ensureRunning();
    else void this.#ops.enqueue(() => this.#ensureRunning());
    return !wasRunning;
  }

  /** Stops the worker and keeps the session stopped, across supervisor restarts too. */
  stop(): Promise<void> {
    this.#update({ desiredState: 'stopped' });
    return this.#ops.enqueue(() => this.#stopAndSettle('stop requested'));
  }

  /** A fresh worker for a session meant to run (a stopped or failed one is started). */
  restart(reason = 'restart requested'): Promise<void> {
    this.#consecutiveCrashes = 0;
    this.#update({ desiredState: 'running', lastError: null });
    return this.#ops.enqueue(async () => {
      await this.#stopWorker(reason);
      // Shut down, stopped or deleted while the old worker was stopping: no new one.
      if (this.#retired || !isMeantToRun(this.#record)) {
        if (this.#record.status === 'stopping') this.#transition('stopped', reason);
        return;
      }
      this.#spawn(reason);
    });
  }

  /** Unlinks the device (if a worker is up to do it), stops, and deletes the session's auth data. */
  logout(): Promise<void> {
    this.#update({ desiredState: 'stopped' });
    return this.#ops.enqueue(async () => {
      const handle = this.#handle;
      if (handle?.alive) {
        await handle.request('logout', {}, this.#env.config.commandTimeoutMs).catch((error: unknown) => {
          this.#log.warn({ err: error }, 'the engine could not log out; deleting its auth data anyway');
        });
      }
      await this.#stopAndSettle('logout');
      await rm(this.#env.sessionDir(this.sessionId), { recursive: true, force: true });
      this.#update({ me: null, readyAt: null });
    });
  }

  /** Stops the worker and deletes every file of the session (its registry entry is the caller's to remove). */
  remove(): Promise<void> {
    this.#retired = true;
    return this.#ops.enqueue(async () => {
      await this.#stopAndSettle('session deleted');
      await rm(this.#env.sessionDir(this.sessionId), { recursive: true, force: true });
      await this.durable();
    });
  }

  /** The supervisor is exiting: stop the worker but keep the desired state, so a restart restores it. */
  async shutdown(): Promise<void> {
    this.#retired = true;
    // A failed or backed-off session keeps its status: only a worker that ran is recorded as stopped.
    if (await this.#stopWorker('supervisor shutting down')) this.#transition('stopped', 'supervisor shut down');
    await this.durable();
  }

  /**
   * Runs an engine command in the session's worker. Resolves once what the worker reported before its reply
   * (the status changes a scan or a disconnect causes) is durable too.
   */
  async command<N extends CommandName>(name: N, params: CommandParams<N>): Promise<CommandResult<N>> {
    const handle = this.#handle;
    if (handle === undefined || !handle.alive) {
      throw new Errors.WORKER_UNAVAILABLE(this.sessionId, `its status is '${this.status}'`);
    }
    const started = performance.now();
    let result: CommandResult<N>;
    try {
      result = await handle.request(name, params, this.#env.config.commandTimeoutMs);
    } catch (error) {
      this.#env.observer.command(name, (performance.now() - started) / 1000, 'error');
      throw error;
    }
    this.#env.observer.command(name, (performance.now() - started) / 1000, 'ok');
    await this.durable();
    return result;
  }

  // ---- internals ---------------------------------------------------------------------------------

  #ensureRunning(): void {
    if (this.#retired || !isMeantToRun(this.#record)) return;
    if (this.#handle !== undefined || this.#record.status === 'backoff') return;
    this.#spawn('start requested');
  }

  /** The one stop sequence: no pending restart, then `stopping` until the worker is gone. True if one ran. */
  async #stopWorker(reason: string): Promise<boolean> {
    this.#clearBackoff();
    const handle = this.#handle;
    if (handle === undefined) return false;
    this.#transition('stopping', reason);
    await handle.stop(reason);
    return true;
  }

  /** Stopped on request: the worker gone, the session `stopped` (a failed one too). */
  async #stopAndSettle(reason: string): Promise<void> {
    await this.#stopWorker(reason);
    if (this.#record.status !== 'stopped') this.#transition('stopped', reason);
  }

  #spawn(reason: string): void {
    this.#clearBackoff();
    const handle = (this.#env.workers ?? forkWorker)(workerSpec(this.sessionId, this.#record, this.#env, this.#log));
    this.#handle = handle;
    this.#transition('starting', reason, { startedAt: now() });
    handle.on('status', (message) => this.#handle === handle && this.#onWorkerStatus(message));
    handle.on('qr', ({ qr, attempt }) => {
      if (this.#handle !== handle) return;
      this.#qr = qr;
      // The code follows the status that shows it, in the stream and to listeners.
      this.#transition('qr', attempt === 1 ? 'waiting for the phone' : `QR refreshed (attempt ${attempt})`, {}, () =>
        this.emit('qr', { sessionId: this.sessionId, qr, attempt }),
      );
    });
    handle.on('event', (event) => this.#handle === handle && this.emit('event', { sessionId: this.sessionId, event }));
    handle.on('exit', (exit) => this.#handle === handle && this.#onExit(exit));
    handle.on('reprieve', (excuse) => this.#env.observer.watchdogReprieve(excuse));
    handle.start();
    this.#log.info({ pid: handle.pid, engine: this.#record.engine }, 'worker forked');
  }

  #onWorkerStatus(message: WorkerStatus): void {
    const patch: SessionPatch = {};
    if (message.me !== undefined) patch.me = message.me satisfies Me;
    if (message.status === 'ready') patch.readyAt = now();
    this.#transition(message.status, message.reason, patch);
  }

  #onExit(exit: WorkerExit): void {
    this.#handle = undefined;
    this.#env.observer.workerExit(exit.cause);
    const next = decideAfterExit(this.#env.policy, {
      exit,
      meantToRun: !this.#retired && isMeantToRun(this.#record),
      previousCrashes: this.#consecutiveCrashes,
      heartbeatTimeoutMs: this.#env.config.heartbeatTimeoutMs,
      at: now(),
    });
    if (next.action === 'none') return;
    this.#log.warn({ cause: exit.cause, code: exit.code, signal: exit.signal, detail: exit.detail }, 'worker died');
    const { lastError } = next;
    switch (next.action) {
      case 'stopped':
        this.#transition('stopped', lastError.message, { lastError });
        return;
      case 'fail':
        this.#consecutiveCrashes = next.consecutiveCrashes;
        this.#fail(lastError);
        return;
      case 'backoff':
        this.#consecutiveCrashes = next.consecutiveCrashes;
        this.#transition('backoff', `${lastError.message}; restart in ${next.delayMs} ms`, { lastError });
        this.#backoffTimer = setTimeout(() => this.#restartAfterCrash(next.consecutiveCrashes), next.delayMs);
    }
  }

  #restartAfterCrash(crashes: number): void {
    this.#backoffTimer = undefined;
    void this.#ops.enqueue(() => {
      if (this.#retired || !isMeantToRun(this.#record) || this.#record.status !== 'backoff') return;
      this.#update({ restarts: this.#record.restarts + 1 });
      this.#env.observer.restart('crash');
      this.#spawn(`restart after crash #${crashes}`);
    });
  }

  #fail(lastError: LastError): void {
    // A failed session needs an explicit start: it is not meant to run until then, nor after a restart.
    this.#update({ desiredState: 'stopped' });
    this.#transition('failed', lastError.message, { lastError });
  }

  #clearBackoff(): void {
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
  }

  /** The one place a status changes. Refused edges are logged and change nothing. */
  /**
   * The one place a status changes. Refused edges are logged and change nothing. The change and its
   * `session.status` event are written together; `then` runs once they are (or the write was refused).
   */
  #transition(to: SessionStatus, reason: string | undefined, patch: SessionPatch = {}, then?: () => void): boolean {
    const from = this.#record.status;
    if (from === to) {
      if (Object.keys(patch).length > 0) this.#update(patch);
      then?.();
      return true;
    }
    if (!canTransition(from, to)) {
      this.#log.warn({ from, to, reason }, 'refused a status change the state machine does not allow');
      return false;
    }
    if (to !== 'qr') this.#qr = undefined;
    this.#log.info({ from, to, reason }, `session ${to}`);
    const change: StatusChange = { sessionId: this.sessionId, status: to, previous: from, reason, at: now() };
    const { events } = this.#env;
    const event = events.prepare(this.sessionId, 'session.status', { status: to, previous: from, ...(reason === undefined ? {} : { reason }) });
    // Announced once written: whoever hears of it finds the registry and the outbox saying the same.
    this.#update({ ...patch, status: to }, {
      events: { events: [event], claim: events.claim() },
      afterWrite: (appended) => {
        if (appended === undefined) events.discard([event]);
        else events.announce([event], appended);
        this.emit('status', change);
        then?.();
      },
    });
    return true;
  }

  /** Acts on the change at once and writes it through the registry, which retries it until it is durable. */
  #update(patch: SessionPatch, options: WriteOptions = {}): void {
    for (const field of ['engine', 'proxy', 'status', 'desiredState', 'restarts'] as const) {
      if (patch[field] !== undefined) (this.#record as Record<string, unknown>)[field] = patch[field];
    }
    this.#env.registry.update(this.sessionId, patch, options).catch((error: unknown) => {
      // Refused by compare-and-set or deleted: the registry logged it; nothing of ours to retry.
      this.#log.warn({ err: error }, 'the registry refused a session change');
    });
  }
}

export type { SessionEnvironment, StatusChange } from './session-environment.js';
