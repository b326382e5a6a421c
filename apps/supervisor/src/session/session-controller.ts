/**
 * One session's lifecycle in this process: its status (changed only through `#transition`, which enforces the
 * state machine), its worker handle, and what happens when the worker dies.
 *
 * Lifecycle operations (start, stop, restart, logout, remove) run one at a time through `#ops`, so a start
 * that arrives while a stop is still waiting for its worker simply runs after it: there is never more than one
 * worker per session. Every fork waits for a launch slot first (launch-queue.ts): while it waits the session is
 * `starting` with no worker, and a stop, restart, logout or delete simply gives its place in the line back; a
 * slot is given back once the session leaves `starting` or its worker exits. The controller acts on its own copy
 * of the session's lifecycle fields and writes every change through the registry, in order; `durable()` resolves
 * once every change so far is in the store.
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
import { timedCommand } from './worker-command.js';
import { decideAfterExit } from './exit-report.js';
import { OperationQueue } from './operation-queue.js';
import { immediateLaunches, type LaunchTicket } from './launch-queue.js';
import { forkWorker, type SessionEnvironment, type StatusChange } from './session-environment.js';
import type { SessionMemory, SessionRuntime } from './session-runtime.js';
import { CrashBackoff } from './crash-backoff.js';
import { SessionLifecycle } from './session-lifecycle.js';
import { isMeantToRun, type LastError, type SessionPatch, type SessionRecord } from './session-record.js';
import type { SessionStatus } from './state-machine.js';
import type { WorkerExit } from '../worker/worker-handle.js';
import type { Worker } from '../worker/worker-port.js';

interface SessionEvents {
  status: [StatusChange];
  qr: [{ sessionId: string; qr: string; attempt: number }];
  event: [{ sessionId: string; event: EngineEvent }];
}

const now = (): string => new Date().toISOString();

export class SessionController extends EventEmitter<SessionEvents> {
  readonly sessionId: string;
  readonly #env: SessionEnvironment;
  readonly #log: Logger;
  readonly #life: SessionLifecycle;
  #handle: Worker | undefined;
  /** The launch slot asked for (waiting) or held (forked, still `starting`). */
  #launch: LaunchTicket | undefined;
  #qr: string | undefined;
  readonly #crashes = new CrashBackoff();
  /** Deleted, or this process is exiting: no new worker, whatever happens. */
  #retired = false;
  readonly #ops: OperationQueue;
  /** The last memory sample of the worker and its browser (resource-monitor.ts). */
  memory: SessionMemory | null = null;

  constructor(record: SessionRecord, env: SessionEnvironment) {
    super();
    this.sessionId = record.sessionId;
    this.#env = env;
    this.#log = env.log.child({ sessionId: record.sessionId });
    this.#life = new SessionLifecycle(record, env, this.#log, (change) => this.emit('status', change));
    this.#ops = new OperationQueue((error) => this.#log.error({ err: error }, 'session operation failed'));
  }

  get status(): SessionStatus {
    return this.#life.status;
  }

  get engine(): SessionRecord['engine'] {
    return this.#life.fields.engine;
  }

  get desiredState(): SessionRecord['desiredState'] {
    return this.#life.fields.desiredState;
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
    return this.status === 'qr' ? this.#qr : undefined;
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

  /** Waiting in the launch queue for a slot: `starting`, with no worker yet. */
  get queued(): boolean {
    return this.#launch !== undefined && !this.#launch.granted && !this.#launch.done;
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
    const wasRunning = isMeantToRun(this.#life.fields);
    if (!wasRunning) {
      this.#crashes.reset();
      this.#life.update({ desiredState: 'running', lastError: null });
    }
    // With nothing queued, the worker is forked now, so its `starting` is durable with the start itself.
    if (this.#ops.idle) this.#ensureRunning();
    else void this.#ops.enqueue(() => this.#ensureRunning());
    return !wasRunning;
  }

  /** Stops the worker and keeps the session stopped, across supervisor restarts too. */
  stop(): Promise<void> {
    this.#life.update({ desiredState: 'stopped' });
    return this.#ops.enqueue(() => this.#stopAndSettle('stop requested'));
  }

  /** A fresh worker for a session meant to run (a stopped or failed one is started). */
  restart(reason = 'restart requested'): Promise<void> {
    this.#crashes.reset();
    this.#life.update({ desiredState: 'running', lastError: null });
    return this.#ops.enqueue(async () => {
      await this.#stopWorker(reason);
      // Shut down, stopped or deleted while the old worker was stopping: no new one.
      if (this.#retired || !isMeantToRun(this.#life.fields)) {
        if (this.status === 'stopping') this.#transition('stopped', reason);
        return;
      }
      this.#spawn(reason);
    });
  }

  /** Unlinks the device (if a worker is up to do it), stops, and deletes the session's auth data. */
  logout(): Promise<void> {
    this.#life.update({ desiredState: 'stopped' });
    return this.#ops.enqueue(async () => {
      const handle = this.#handle;
      if (handle?.alive) {
        await handle.request('logout', {}, this.#env.config.commandTimeoutMs).catch((error: unknown) => {
          this.#log.warn({ err: error }, 'the engine could not log out; deleting its auth data anyway');
        });
      }
      await this.#stopAndSettle('logout');
      await rm(this.#env.sessionDir(this.sessionId), { recursive: true, force: true });
      this.#life.update({ me: null, readyAt: null });
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
   * Cluster mode, the lease is lost: the worker is killed now (another node may start the session in moments)
   * and nothing more is written; the new holder writes what happened.
   */
  abandon(reason: string): void {
    this.#retired = true;
    this.#crashes.cancel();
    this.#releaseLaunch();
    this.#log.warn({ reason }, 'session abandoned by this node');
    this.#handle?.kill('lease-expired');
  }

  /**
   * Runs an engine command in the session's worker. Resolves once what the worker reported before its reply
   * (the status changes a scan or a disconnect causes) is durable too. `timeoutMs` overrides COMMAND_TIMEOUT_MS
   * for commands that move a file's worth of bytes.
   */
  async command<N extends CommandName>(name: N, params: CommandParams<N>, timeoutMs?: number): Promise<CommandResult<N>> {
    const handle = this.#handle;
    if (handle === undefined || !handle.alive) {
      throw new Errors.WORKER_UNAVAILABLE(this.sessionId, `its status is '${this.status}'`);
    }
    const result = await timedCommand(handle, name, params, this.#env, timeoutMs);
    await this.durable();
    return result;
  }

  // ---- internals ---------------------------------------------------------------------------------

  #ensureRunning(): void {
    if (this.#retired || !isMeantToRun(this.#life.fields)) return;

    if (this.#handle !== undefined || this.queued || this.status === 'backoff') return;
    this.#spawn('start requested');
  }

  /** The one stop sequence: no pending restart, then `stopping` until the worker is gone. True if one ran. */
  async #stopWorker(reason: string): Promise<boolean> {
    this.#crashes.cancel();
    // Waiting in the launch line or holding a slot: either way this launch is over, and no fork follows.
    this.#releaseLaunch();
    const handle = this.#handle;
    if (handle === undefined) {
      // Still waiting for its slot: leaving the line is the whole stop.
      if (this.status !== 'starting') return false;
      this.#transition('stopping', `${reason} (before its launch)`);
      return true;
    }
    this.#transition('stopping', reason);
    await handle.stop(reason);
    return true;
  }

  /** Stopped on request: the worker gone, the session `stopped` (a failed one too). */
  async #stopAndSettle(reason: string): Promise<void> {
    await this.#stopWorker(reason);
    if (this.status !== 'stopped') this.#transition('stopped', reason);
  }

  /** Asks for a launch slot; the worker is forked once it is granted (at once when nothing waits). */
  #spawn(reason: string): void {
    this.#crashes.cancel();
    if (!this.#mayRun(reason)) return;
    this.#releaseLaunch();
    const launches = this.#env.launches ?? immediateLaunches;
    const ticket = launches.request(this.sessionId, this.engine, (granted) => this.#fork(reason, granted));
    if (ticket.granted || ticket.done) return;
    this.#launch = ticket;
    const ahead = launches.ahead(ticket);
    this.#transition('starting', `${reason}: waiting for a launch slot (${ahead} ahead)`, { startedAt: now() });
  }

  #mayRun(reason: string): boolean {
    if (this.#env.lease === undefined || this.#env.lease.mayRun(this.sessionId)) return true;
    // Never a worker without the lease: the node lost it, or its renewal is late (cluster-node.ts).
    this.#log.warn({ reason }, "no worker started: this node does not hold the session's lease");
    if (this.status === 'stopping' || this.status === 'starting') {
      if (this.status === 'starting') this.#transition('stopping', 'the lease is not held here');
      this.#transition('stopped', 'the lease is not held here');
    }
    return false;
  }

  #releaseLaunch(): void {
    const launch = this.#launch;
    this.#launch = undefined;
    launch?.release();
  }

  #fork(reason: string, ticket: LaunchTicket): void {
    this.#launch = ticket;
    // Stopped, deleted or the lease lost while it waited: the stop released the ticket, so this is a safeguard.
    if (this.#retired || !isMeantToRun(this.#life.fields) || !this.#mayRun(reason)) {
      this.#releaseLaunch();
      return;
    }
    const handle = (this.#env.workers ?? forkWorker)(workerSpec(this.sessionId, this.#life.fields, this.#env, this.#log));
    this.#handle = handle;
    if (this.status === 'starting') this.#life.update({ startedAt: now() });
    else this.#transition('starting', reason, { startedAt: now() });
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
    // In a cluster, the worker learns its deadline before anything else: it must not outlive the lease.
    const deadline = this.#env.lease?.deadline();
    if (deadline !== undefined) handle.lease(deadline);
    this.#log.info({ pid: handle.pid, engine: this.engine }, 'worker forked');
  }

  #onWorkerStatus(message: WorkerStatus): void {
    const patch: SessionPatch = {};
    if (message.me !== undefined) patch.me = message.me satisfies Me;
    if (message.status === 'ready') patch.readyAt = now();
    this.#transition(message.status, message.reason, patch);
  }

  #onExit(exit: WorkerExit): void {
    this.#handle = undefined;
    this.#releaseLaunch();
    this.#env.observer.workerExit(exit.cause);
    const next = decideAfterExit(this.#env.policy, {
      exit,
      meantToRun: !this.#retired && isMeantToRun(this.#life.fields),
      previousCrashes: this.#crashes.consecutive,
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
        this.#crashes.record(next.consecutiveCrashes);
        this.#fail(lastError);
        return;
      case 'backoff':
        this.#crashes.record(next.consecutiveCrashes);
        this.#transition('backoff', `${lastError.message}; restart in ${next.delayMs} ms`, { lastError });
        this.#crashes.schedule(next.delayMs, () => this.#restartAfterCrash(next.consecutiveCrashes));
    }
  }

  #restartAfterCrash(crashes: number): void {
    void this.#ops.enqueue(() => {
      if (this.#retired || !isMeantToRun(this.#life.fields) || this.status !== 'backoff') return;
      this.#life.update({ restarts: this.#life.fields.restarts + 1 });
      this.#env.observer.restart('crash');
      this.#spawn(`restart after crash #${crashes}`);
    });
  }

  #fail(lastError: LastError): void {
    // A failed session needs an explicit start: it is not meant to run until then, nor after a restart.
    this.#life.update({ desiredState: 'stopped' });
    this.#transition('failed', lastError.message, { lastError });
  }

  /** Every status change goes through the lifecycle (session-lifecycle.ts); a QR is shown only while in `qr`. */
  #transition(to: SessionStatus, reason: string | undefined, patch: SessionPatch = {}, then?: () => void): boolean {
    const changed = this.#life.transition(to, reason, patch, then);
    if (this.status !== 'qr') this.#qr = undefined;
    // Past `starting` (qr, ready, backoff, stopping...): the launch is over, its slot goes to the next in line.
    if (this.status !== 'starting') this.#releaseLaunch();
    return changed;
  }
}

export type { SessionEnvironment, StatusChange } from './session-environment.js';
