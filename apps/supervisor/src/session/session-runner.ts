/**
 * The sessions this process runs: one controller each, restored after a restart, stopped at shutdown. It
 * relays its controllers' status changes, QR codes and engine events as its own, for whatever records or
 * streams them, and it changes only the rows of sessions it runs.
 */
import { EventEmitter } from 'node:events';
import type { EngineEvent } from '@wsm/ipc-protocol';
import { SessionController, type SessionEnvironment, type StatusChange } from './session-controller.js';
import { immediateLaunches, type LaunchSlots } from './launch-queue.js';
import { isMeantToRun, type SessionRecord } from './session-record.js';
import { TimeSlice } from '../time-slice.js';

/** How long restore() keeps the event loop before it lets requests in. */
const RESTORE_SLICE_MS = 5;

export interface RunnerEvents {
  status: [StatusChange];
  qr: [{ sessionId: string; qr: string; attempt: number }];
  event: [{ sessionId: string; event: EngineEvent }];
}

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

  /** Where forks wait for a launch slot: for the metrics. */
  get launches(): LaunchSlots {
    return this.#env.launches ?? immediateLaunches;
  }

  /**
   * Starts every session meant to run. They all join the launch queue, in registry order, and it paces them
   * (launch-queue.ts) as it paces every other start; resolves once each is in line or launched.
   * Joining the line is not free (a state change recorded, an event, a first fork): a few milliseconds of it at a
   * time, then a turn of the event loop, so that requests arriving meanwhile are answered. All at once, 200
   * sessions kept the first requests of a freshly listening supervisor waiting ~190 ms.
   */
  async restore(): Promise<void> {
    const sessions = [...this.#controllers.values()].filter((session) => isMeantToRun(session));
    this.#env.log.info({ sessions: sessions.length }, 'restoring sessions');
    const slice = new TimeSlice(RESTORE_SLICE_MS);
    for (const session of sessions) {
      if (this.#closing) return;
      // Stopped or deleted by a request answered in an earlier slice: not started behind its back.
      if (isMeantToRun(session)) session.start();
      if (slice.spent) await slice.next();
    }
    await Promise.all(sessions.map((session) => session.settled()));
  }

  /** Stops every worker (in parallel), keeping each session's desired state for the next start. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#controllers.values()].map((session) => session.shutdown()));
  }
}
