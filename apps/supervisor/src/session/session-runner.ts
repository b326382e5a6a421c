/**
 * The sessions this process runs: one controller each, restored after a restart, stopped at shutdown. It
 * relays its controllers' status changes, QR codes and engine events as its own, for whatever records or
 * streams them, and it changes only the rows of sessions it runs.
 */
import { EventEmitter } from 'node:events';
import type { EngineEvent } from '@wsm/ipc-protocol';
import { SessionController, type SessionEnvironment, type StatusChange } from './session-controller.js';
import { isMeantToRun, type SessionRecord } from './session-record.js';

export interface RunnerEvents {
  status: [StatusChange];
  qr: [{ sessionId: string; qr: string; attempt: number }];
  event: [{ sessionId: string; event: EngineEvent }];
}

/** A restored session counts as up once it has left `starting` (to qr, ready, backoff, failed...). */
const RESTORE_STEP_TIMEOUT_MS = 60_000;

export class SessionRunner extends EventEmitter<RunnerEvents> {
  readonly #env: SessionEnvironment;
  readonly #controllers = new Map<string, SessionController>();
  #closing = false;

  constructor(env: SessionEnvironment) {
    super();
    this.#env = env;
  }

  get closing(): boolean {
    return this.#closing;
  }

  get(sessionId: string): SessionController | undefined {
    return this.#controllers.get(sessionId);
  }

  controllers(): IterableIterator<SessionController> {
    return this.#controllers.values();
  }

  /**
   * Takes every session of the registry into this process. A row still showing a live status was left so by a
   * process that died: nothing runs it now, so it is written `stopped` (a failed one stays failed).
   */
  adoptAll(): void {
    for (const record of [...this.#env.registry.all()]) {
      const status = record.status === 'failed' ? 'failed' : 'stopped';
      this.run({ ...record, status });
      if (record.status === status) continue;
      this.#env.registry.update(record.sessionId, { status }).catch((error: unknown) => {
        this.#env.log.error({ err: error, sessionId: record.sessionId }, 'could not record a stale session as stopped');
      });
    }
  }

  /** Runs a session here: its controller, created once. */
  run(record: SessionRecord): SessionController {
    let controller = this.#controllers.get(record.sessionId);
    if (controller !== undefined) return controller;
    controller = new SessionController(record, this.#env);
    controller.on('status', (change) => this.emit('status', change));
    controller.on('qr', (qr) => this.emit('qr', qr));
    controller.on('event', (event) => this.emit('event', event));
    this.#controllers.set(record.sessionId, controller);
    return controller;
  }

  /** Stops running a session here (it was deleted): its controller goes. */
  release(sessionId: string): SessionController | undefined {
    const controller = this.#controllers.get(sessionId);
    this.#controllers.delete(sessionId);
    return controller;
  }

  /** Starts every session meant to run, `concurrency` at a time, each step waiting until it is past `starting`. */
  async restore(concurrency: number): Promise<void> {
    const queue = [...this.#controllers.values()].filter((session) => isMeantToRun(session));
    this.#env.log.info({ sessions: queue.length, concurrency }, 'restoring sessions');
    const worker = async (): Promise<void> => {
      for (let session = queue.shift(); session !== undefined && !this.#closing; session = queue.shift()) {
        // Stopped, logged out or deleted while it waited in line: leave it be.
        if (!isMeantToRun(session) || this.#controllers.get(session.sessionId) !== session) continue;
        void session.start();
        await session.settled();
        await leftStarting(session);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  }

  /** Stops every worker (in parallel), keeping each session's desired state for the next start. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#controllers.values()].map((session) => session.shutdown()));
  }
}

function leftStarting(session: SessionController): Promise<void> {
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
