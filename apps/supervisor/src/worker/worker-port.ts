/**
 * What a session controller needs of a worker process: the port the real `WorkerHandle` implements, so the
 * controller's lifecycle (crash, backoff, crash loop, stop) can be driven in a unit test without forking.
 */
import type { EventEmitter } from 'node:events';
import type { BrowserProcess, CommandName, CommandParams, CommandResult, EngineEvent, WorkerQr, WorkerStatus } from '@wsm/ipc-protocol';
import type { HangExcuse } from './hang-policy.js';
import type { ExitCause, WorkerExit, WorkerSpec } from './worker-handle.js';

export interface WorkerEvents {
  status: [WorkerStatus];
  qr: [WorkerQr];
  event: [EngineEvent];
  exit: [WorkerExit];
  /** A silence past the heartbeat timeout that was not a hang: the supervisor stalled, or the worker was starved. */
  reprieve: [HangExcuse];
}

export interface Worker extends EventEmitter<WorkerEvents> {
  readonly spawnedAt: number;
  readonly pid: number | undefined;
  readonly alive: boolean;
  readonly browser: BrowserProcess | null;
  start(): void;
  request<N extends CommandName>(name: N, params: CommandParams<N>, timeoutMs: number): Promise<CommandResult<N>>;
  stop(reason: string): Promise<WorkerExit>;
  kill(cause: ExitCause): void;
}

export type WorkerFactory = (spec: WorkerSpec) => Worker;
