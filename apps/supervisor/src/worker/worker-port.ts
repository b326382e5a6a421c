/**
 * What a session controller needs of a worker process: the port the real `WorkerHandle` implements, so the
 * controller's lifecycle (crash, backoff, crash loop, stop) can be driven in a unit test without forking.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type {
  BrowserProcess,
  CodedError,
  CommandName,
  CommandParams,
  CommandResult,
  EngineEvent,
  EngineSettings,
  LogLevel,
  WorkerQr,
  WorkerStatus,
} from '@wsm/ipc-protocol';
import type { HangExcuse } from './hang-policy.js';

export interface WorkerSpec {
  sessionId: string;
  sessionDir: string;
  settings: EngineSettings;
  /** Compiled .js (production), or .ts run through tsx (development). */
  entry: string;
  /** Marks the worker and everything it starts as this supervisor's (see processes.ts). */
  owner: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  stopTimeoutMs: number;
  /** WORKER_NICE: the worker, its threads, its session's autogroup and its browser run this much nicer than the supervisor. */
  nice: number;
  logLevel: LogLevel;
  log: Logger;
}

/** `lease-expired`: in a cluster, the worker ended itself (or was ended) because its session's lease may be lost. */
export type ExitCause = 'requested' | 'crashed' | 'heartbeat-timeout' | 'protocol-error' | 'spawn-failed' | 'lease-expired';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  cause: ExitCause;
  /** What the worker said before leaving, if it announced a fatal error. */
  fatal: { error: CodedError; retry: boolean } | undefined;
  /** A readable account: exit code or signal, and the end of the worker's stderr. */
  detail: string;
  uptimeMs: number;
}


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
  /** Cluster mode: the session's lease is surely held until then (CLOCK_MONOTONIC ms); see supervisor.lease. */
  lease(untilMonotonicMs: number): void;
}

export type WorkerFactory = (spec: WorkerSpec) => Worker;
