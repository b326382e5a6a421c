/**
 * One worker process: fork, protocol handshake and the exit report, composed with its parts the way execa
 * composes a child process: the command channel (command-channel.ts), the heartbeat watchdog
 * (heartbeat-watchdog.ts) and the stop in escalating steps (stop-steps.ts). It reports what happened (`exit`
 * with a cause) and leaves deciding what to do about it to the session controller; its failures are its own
 * (worker-errors.ts), mapped to HTTP by the API.
 *
 * The worker is forked `detached`, which makes it the leader of its own process group: signalling the group
 * reaches the worker and everything it started in it, and a Ctrl-C meant for the supervisor's terminal does
 * not hit the workers before the supervisor has asked them to stop. A browser that puts itself in a group of
 * its own is reported by the worker (`worker.browser`) and killed with it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { EventEmitter } from 'node:events';
import {
  EXIT_LEASE_EXPIRED,
  PROTOCOL_VERSION,
  WORKER_NICE_ENV,
  decodeWorkerMessage,
  turnBatch,
  type BrowserProcess,
  type CommandName,
  type CommandParams,
  type CommandResult,
  type MemoryFigures,
  type SingleSupervisorMessage,
  type SingleWorkerMessage,
  type SupervisorBatch,
  type SupervisorMessage,
  type WorkerMessage,
} from '@wsm/ipc-protocol';
import { OWNER_ENV, SESSION_ENV, killSessionProcesses, signalGroup } from '@wsm/procfs';
import { LastErrorCode } from '../errors.js';
import { CommandChannel } from './command-channel.js';
import { HeartbeatWatchdog, type SilenceReport } from './heartbeat-watchdog.js';
import { hangPolicy, type HangExcuse } from './hang-policy.js';
import { escalateStop } from './stop-steps.js';
import type { ExitCause, Worker, WorkerEvents, WorkerExit, WorkerSpec } from './worker-port.js';

export type { ExitCause, WorkerExit, WorkerSpec } from './worker-port.js';
import { workerUnavailable } from './worker-errors.js';

/** Variables a worker must not inherit: it needs none of the supervisor's secrets. */
const WITHHELD_ENV = ['API_KEY', 'WEBHOOK_SECRET'];
const STDERR_TAIL_BYTES = 4096;
const DRAIN_AFTER_EXIT_MS = 1000;

/**
 * The worker's main thread at its nice as soon as it exists, before Node has started its other threads (they
 * inherit it): until its own code applies WORKER_NICE (apps/worker/src/thread-priority.ts, which also lowers its
 * autogroup), a worker boots at the supervisor's priority, and a burst of launches competed with the supervisor
 * for tens of ms of CPU each. Best effort: the worker applies it anyway.
 */
function niceEarly(pid: number, nice: number): void {
  try {
    setPriority(pid, nice);
  } catch {
    // Gone already, or not ours to change: the worker's own code will try.
  }
}

export class WorkerHandle extends EventEmitter<WorkerEvents> implements Worker {
  readonly spec: WorkerSpec;
  readonly spawnedAt = Date.now();
  readonly exited: Promise<WorkerExit>;
  pid: number | undefined;
  memory: MemoryFigures | undefined;
  browser: BrowserProcess | null = null;

  #child: ChildProcess | undefined;
  #resolveExited!: (exit: WorkerExit) => void;
  #exit: WorkerExit | undefined;
  #watchdog: HeartbeatWatchdog | undefined;
  #stopRequested = false;
  #killCause: ExitCause | undefined;
  #fatal: WorkerExit['fatal'];
  #stderrTail = '';
  readonly #commands: CommandChannel;
  readonly #outbox = turnBatch<SingleSupervisorMessage, SupervisorBatch>(
    (message, done) => this.#write(message, done),
    (messages) => ({ type: 'supervisor.batch', messages }),
  );

  constructor(spec: WorkerSpec) {
    super();
    this.spec = spec;
    this.#commands = new CommandChannel(spec.sessionId, (message) => this.#send(message), spec.log);
    this.exited = new Promise((resolve) => {
      this.#resolveExited = resolve;
    });
  }

  get alive(): boolean {
    return this.#child !== undefined && this.#exit === undefined;
  }

  start(): void {
    const { spec } = this;
    const env: NodeJS.ProcessEnv = { ...process.env, [OWNER_ENV]: spec.owner, [SESSION_ENV]: spec.sessionId, [WORKER_NICE_ENV]: String(spec.nice) };
    for (const name of WITHHELD_ENV) delete env[name];
    let child: ChildProcess;
    try {
      child = fork(spec.entry, [], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Never inherit the supervisor's own loader flags (vitest, tsx): a worker runs plain compiled JS.
        execArgv: spec.entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
        env,
      });
    } catch (error) {
      this.#finish(null, null, 'spawn-failed', error instanceof Error ? error.message : String(error));
      return;
    }
    this.#child = child;
    this.pid = child.pid;
    if (child.pid !== undefined && spec.nice > 0) niceEarly(child.pid, spec.nice);
    this.#watchdog = new HeartbeatWatchdog({
      pid: child.pid,
      policy: hangPolicy(spec.heartbeatTimeoutMs),
      onHung: (report) => this.#onHung(report),
      onReprieve: (excuse, report) => this.#onReprieve(excuse, report),
    });
    this.#watchdog.start();
    child.on('message', (raw) => this.#onMessage(raw));
    child.on('error', (error) => {
      // Spawn failures arrive here without an exit; other errors (a send on a closed channel) are logged only.
      if (child.pid === undefined) this.#finish(null, null, 'spawn-failed', error.message);
      else spec.log.warn({ err: error }, 'worker process error');
    });
    // 'exit' can come before the last IPC messages are read (a `worker.fatal` sent just before exiting):
    // finish on 'close', when the channel has drained, or shortly after 'exit' if something holds a stream.
    child.on('exit', (code, signal) => {
      this.#signalGroups('SIGKILL');
      setTimeout(() => this.#finish(code, signal), DRAIN_AFTER_EXIT_MS).unref();
    });
    child.on('close', (code, signal) => this.#finish(code, signal));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
      for (const line of chunk.split('\n')) if (line.trim()) spec.log.warn({ source: 'worker-stderr' }, line);
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) spec.log.info({ source: 'worker-stdout' }, line);
    });
  }

  /** Runs a command in the worker; rejects with a WorkerError on a failed reply, a timeout or the worker's exit. */
  request<N extends CommandName>(name: N, params: CommandParams<N>, timeoutMs: number): Promise<CommandResult<N>> {
    const child = this.#child;
    if (child === undefined || !this.alive || !child.connected || this.#stopRequested) {
      return Promise.reject(workerUnavailable(this.spec.sessionId, 'the worker is not running'));
    }
    return this.#commands.request(name, params, timeoutMs);
  }

  /** Asks the worker to stop, then escalates (stop-steps.ts). Resolves once the worker has exited. */
  async stop(reason: string): Promise<WorkerExit> {
    if (this.#exit !== undefined || this.#child === undefined) return this.exited;
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      // From here the stop's own steps (SIGTERM, then SIGKILL) bound how long it may take: a worker closing its
      // browser owes no heartbeats, and watching 50 of them stop at once cost the event loop hundreds of ms.
      this.#watchdog?.stop();
      this.#send({ type: 'supervisor.shutdown', reason, timeoutMs: this.spec.stopTimeoutMs });
      void escalateStop({
        exited: this.exited,
        isGone: () => this.#exit !== undefined,
        stepMs: this.spec.stopTimeoutMs,
        signal: (signal) => this.#signalGroups(signal),
        log: this.spec.log,
        pid: this.pid,
      });
    }
    return this.exited;
  }

  /** SIGKILL now: the worker's group and its browser's. */
  kill(cause: ExitCause): void {
    this.#killCause ??= cause;
    this.#signalGroups('SIGKILL');
  }

  lease(untilMonotonicMs: number): void {
    this.#send({ type: 'supervisor.lease', untilMonotonicMs });
  }

  #signalGroups(signal: NodeJS.Signals): void {
    if (this.pid !== undefined) signalGroup(this.pid, signal);
    if (this.browser !== null) signalGroup(this.browser.pgid, signal);
  }

  #send(message: SingleSupervisorMessage): void {
    this.#outbox.push(message);
  }

  /** One IPC write: a message, or a batch of what this turn asked of the worker (turn-batch.ts in the protocol). */
  #write(message: SupervisorMessage, done: () => void): void {
    const child = this.#child;
    if (child === undefined || !child.connected) return done();
    child.send(message, (error) => {
      if (error) this.spec.log.debug({ err: error, type: message.type }, 'IPC send failed');
      done();
    });
  }

  #onHung(report: SilenceReport): void {
    if (this.#exit !== undefined || this.#stopRequested) return;
    this.spec.log.error(
      { pid: this.pid, timeoutMs: this.spec.heartbeatTimeoutMs, ...report },
      'worker missed its heartbeats; killing its process group',
    );
    this.kill('heartbeat-timeout');
  }

  #onReprieve(excuse: HangExcuse, report: SilenceReport): void {
    this.spec.log.warn(
      { pid: this.pid, timeoutMs: this.spec.heartbeatTimeoutMs, excuse, ...report },
      'worker silent past the heartbeat timeout, but not hung: waiting longer',
    );
    this.emit('reprieve', excuse);
  }

  #onMessage(raw: unknown): void {
    this.#watchdog?.heard();
    const decoded = decodeWorkerMessage(raw);
    if (!decoded.ok) {
      void decoded.details().then((error) => this.spec.log.error({ error }, 'rejected a malformed IPC message from the worker'));
      return;
    }
    const message: WorkerMessage = decoded.value;
    if (message.type === 'worker.batch') {
      // In the order the worker sent them, each as if it had come alone.
      for (const single of message.messages) this.#handle(single);
    } else this.#handle(message);
  }

  #handle(message: SingleWorkerMessage): void {
    switch (message.type) {
      case 'worker.hello':
        if (message.protocolVersion !== PROTOCOL_VERSION) {
          this.#fatal = {
            error: {
              code: LastErrorCode.PROTOCOL_ERROR,
              message: `worker speaks protocol ${message.protocolVersion}, supervisor ${PROTOCOL_VERSION}`,
            },
            retry: false,
          };
          this.kill('protocol-error');
          return;
        }
        this.#send({
          type: 'supervisor.start',
          protocolVersion: PROTOCOL_VERSION,
          sessionId: this.spec.sessionId,
          sessionDir: this.spec.sessionDir,
          settings: this.spec.settings,
          heartbeatIntervalMs: this.spec.heartbeatIntervalMs,
          logLevel: this.spec.logLevel,
        });
        return;
      case 'worker.status':
        this.emit('status', message);
        return;
      case 'worker.qr':
        this.emit('qr', message);
        return;
      case 'worker.event':
        this.emit('event', message.event);
        return;
      case 'worker.browser':
        this.browser = message.browser;
        this.spec.log.info({ browser: message.browser }, 'worker reported its browser');
        return;
      case 'worker.heartbeat':
        this.memory = message.memory;
        return;
      case 'worker.blocking':
        // heard() already ran for the message that carried it: the silence from now on is the announced one.
        this.#watchdog?.blocking();
        this.spec.log.debug({ step: message.step }, 'worker announced a long synchronous step');
        return;
      case 'worker.log':
        this.spec.log[message.level]({ source: 'worker', ...message.data, workerTime: message.time }, message.msg);
        return;
      case 'worker.fatal':
        this.#fatal = { error: message.error, retry: message.retry };
        return;
      case 'worker.reply':
        this.#commands.settle(message);
        return;
    }
  }

  #finish(code: number | null, signal: NodeJS.Signals | null, cause?: ExitCause, reason?: string): void {
    if (this.#exit !== undefined) return;
    this.#watchdog?.stop();
    // Whatever the worker left in its group, its browser's own group, and helpers that daemonized out of
    // both (found by the session mark they inherited) go with it.
    this.#signalGroups('SIGKILL');
    if (this.#child !== undefined) killSessionProcesses(this.spec.owner, this.spec.sessionId);
    const finalCause: ExitCause =
      cause ?? (this.#stopRequested ? 'requested' : (this.#killCause ?? (code === EXIT_LEASE_EXPIRED ? 'lease-expired' : 'crashed')));
    const how = reason ?? (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
    const stderr = this.#stderrTail.trim().split('\n').slice(-3).join(' | ');
    this.#exit = {
      code,
      signal,
      cause: finalCause,
      fatal: this.#fatal,
      detail: stderr ? `${how}; stderr: ${stderr}` : how,
      uptimeMs: Date.now() - this.spawnedAt,
    };
    this.#commands.closeAll(`the worker exited (${how})`);
    this.#child?.stdout?.destroy();
    this.#child?.stderr?.destroy();
    this.#resolveExited(this.#exit);
    this.emit('exit', this.#exit);
  }
}
