/**
 * The worker under a supervisor: hello → start → engine, heartbeats, commands and replies, shutdown.
 * It exits when asked, on SIGTERM/SIGINT, on a fatal engine error, and as soon as its IPC channel
 * disconnects: a worker never outlives the supervisor that started it.
 */
import { EXIT_LEASE_EXPIRED, PROTOCOL_VERSION, WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { CodedError, CommandMessage, SingleSupervisorMessage, SupervisorStart } from '@wsm/ipc-protocol';
import { join } from 'node:path';
import { dispatch } from './dispatch.js';
import { SentJournal } from './sent-journal.js';
import { createEngine } from './engine/create-engine.js';
import type { Engine, EngineSink } from './engine/engine.js';
import { WorkerError, toCodedError } from './errors.js';
import { createLog, serializeError, type Log } from './log.js';
import { processChannel, type IpcChannel } from './ipc-channel.js';
import { LeaseDeadline } from './lease-deadline.js';
import { applyRequestedNice } from './thread-priority.js';

/** How long the engine may take to release its resources when the supervisor did not say. */
const DEFAULT_STOP_TIMEOUT_MS = 5000;
/** Exit code of a stop that the engine did not finish in time. */
const EXIT_STOP_TIMEOUT = 70;
const EXIT_FATAL = 1;
/** Start failures that a restart would only repeat: the session fails at once instead of crash-looping. */
const PERMANENT_START_ERRORS: ReadonlySet<string> = new Set([
  WorkerErrorCode.ENGINE_UNAVAILABLE,
  WorkerErrorCode.AUTH_DATA_CORRUPT,
  WorkerErrorCode.CHROMIUM_NOT_FOUND,
  WorkerErrorCode.PROFILE_IN_USE,
  WorkerErrorCode.WEB_VERSION_UNAVAILABLE,
]);

export function runSupervised(channel: IpcChannel = processChannel()): void {
  const startedAt = Date.now();
  // Until `supervisor.start` names a level, log at info.
  let log: Log = createLogOver(channel, 'info');
  const lowerPriorityFailed = (error: unknown): void => log.warn("could not lower the worker's priority", { err: serializeError(error) });
  try {
    applyRequestedNice(process.env, lowerPriorityFailed);
  } catch (error) {
    lowerPriorityFailed(error);
  }
  let engine: Engine | undefined;
  let journal: SentJournal | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let stopping = false;
  const lease = new LeaseDeadline(() => {
    // No time for a clean stop: the lease may be another node's in moments. The browser goes first.
    process.stderr.write(`worker: the session's lease deadline passed; killing the browser and exiting\n`);
    engine?.killNow?.();
    process.exit(EXIT_LEASE_EXPIRED);
  });

  const sink: EngineSink = {
    status: (status, info) => channel.send({ type: 'worker.status', status, ...info }),
    qr: (qr, attempt) => channel.send({ type: 'worker.qr', qr, attempt }),
    event: (event) => channel.send({ type: 'worker.event', event }),
    progress: (percent, message) => log.info(`loading ${message} ${percent}%`, { percent }),
    browser: (browser) => channel.send({ type: 'worker.browser', browser }),
    fatal: (error, retry) => void fail(error, retry),
  };

  async function stopEngine(timeoutMs: number): Promise<boolean> {
    if (heartbeat) clearInterval(heartbeat);
    if (engine === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([engine.stop().then(() => true), deadline]);
    } catch (error) {
      log.error('engine stop failed', { err: serializeError(error) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async function shutdown(reason: string, timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info('worker stopping', { reason });
    const clean = await stopEngine(timeoutMs);
    // Exit once the last record has left: IPC sends are asynchronous and process.exit would drop them.
    channel.sendThen({ type: 'worker.log', level: 'info', time: Date.now(), msg: 'worker stopped', data: { clean } }, () =>
      process.exit(clean ? 0 : EXIT_STOP_TIMEOUT),
    );
  }

  async function fail(error: CodedError, retry: boolean): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.error('engine failed', { code: error.code, message: error.message, retry });
    // The reason goes out first: releasing a failing engine can itself go wrong (whatsapp-web.js rejects
    // promises it never awaited when its browser closes under it).
    channel.send({ type: 'worker.fatal', error, retry });
    await stopEngine(DEFAULT_STOP_TIMEOUT_MS);
    channel.sendThen({ type: 'worker.log', level: 'info', time: Date.now(), msg: 'worker exiting after a fatal error' }, () =>
      process.exit(EXIT_FATAL),
    );
  }

  async function start(message: SupervisorStart): Promise<void> {
    log = createLogOver(channel, message.logLevel);
    if (message.protocolVersion !== PROTOCOL_VERSION) {
      return fail(
        {
          code: WorkerErrorCode.PROTOCOL_MISMATCH,
          message: `supervisor speaks protocol ${message.protocolVersion}, this worker ${PROTOCOL_VERSION}`,
        },
        false,
      );
    }
    const sendHeartbeat = (seq: number): void =>
      channel.send({
        type: 'worker.heartbeat',
        seq,
        uptimeMs: Date.now() - startedAt,
        memory: process.memoryUsage(),
      });
    let seq = 0;
    sendHeartbeat(seq);
    heartbeat = setInterval(() => sendHeartbeat(++seq), message.heartbeatIntervalMs);
    try {
      // Logged here, not by each engine: every engine's worker tells its session log that it runs.
      log.info('starting the engine', { engine: message.settings.engine });
      journal = new SentJournal(join(message.sessionDir, 'sent-journal.jsonl'));
      engine = await createEngine(
        { sessionId: message.sessionId, sessionDir: message.sessionDir, settings: message.settings, log, sink },
        // The announcement leaves with what is queued (the first heartbeat, the log above) before the event loop
        // blocks: sent after, it would arrive only once the silence it excuses is over.
        { beforeBlocking: (step) => new Promise((resolve) => channel.sendThen({ type: 'worker.blocking', step }, resolve)) },
      );
      await engine.start();
      log.info('engine started', { engine: message.settings.engine, uptimeMs: Date.now() - startedAt });
    } catch (error) {
      const coded = toCodedError(error);
      // A worker without its engine, or with unreadable auth data, fails the same way after a restart.
      const permanent = error instanceof WorkerError && PERMANENT_START_ERRORS.has(error.code);
      await fail(coded, !permanent);
    }
  }

  async function run(message: CommandMessage): Promise<void> {
    try {
      if (engine === undefined || journal === undefined || stopping) {
        throw new WorkerError(WorkerErrorCode.NOT_STARTED, 'the engine is not running');
      }
      const result = await dispatch(engine, message, journal);
      channel.send({ type: 'worker.reply', id: message.id, ok: true, result });
    } catch (error) {
      const coded = toCodedError(error);
      if (coded.code === WorkerErrorCode.ENGINE_FAILED) log.error('command failed', { command: message.type, err: serializeError(error) });
      channel.send({ type: 'worker.reply', id: message.id, ok: false, error: coded });
    }
  }

  function handle(message: SingleSupervisorMessage): void {
    switch (message.type) {
      case 'supervisor.start':
        if (engine !== undefined) log.warn('ignored a second supervisor.start');
        else void start(message);
        return;
      case 'supervisor.shutdown':
        void shutdown(message.reason, Math.max(0, message.timeoutMs - 250));
        return;
      case 'supervisor.lease':
        lease.extend(message.untilMonotonicMs);
        return;
      default:
        void run(message);
    }
  }

  channel.onMessage(handle, async (details, raw) => {
    const error = await details();
    log.error('rejected a malformed IPC message', { error });
    // Answer a malformed command that still carries an id, so its sender fails fast instead of timing out.
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && id.length > 0 && id.length <= 64) {
      channel.send({
        type: 'worker.reply',
        id,
        ok: false,
        error: { code: WorkerErrorCode.MALFORMED_MESSAGE, message: error },
      });
    }
  });
  // The supervisor is gone (it exited, or was killed): release the engine and leave.
  channel.onDisconnect(() => void shutdown('IPC channel disconnected'));
  // However the worker ends, the browser it started does not outlive it.
  process.once('exit', () => engine?.killNow?.());
  // While stopping, a library's unawaited promise failing as its browser closes is expected noise; otherwise an
  // unhandled rejection is a bug: it crashes the worker as Node would, and the supervisor restarts it.
  process.on('unhandledRejection', (reason) => {
    if (stopping) {
      log.warn('ignored a rejection while stopping', { err: serializeError(reason) });
      return;
    }
    throw reason;
  });
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  channel.send({ type: 'worker.hello', protocolVersion: PROTOCOL_VERSION, pid: process.pid, nodeVersion: process.version });
}

function createLogOver(channel: IpcChannel, level: SupervisorStart['logLevel']): Log {
  return createLog(level, (recordLevel, msg, data) =>
    channel.send({ type: 'worker.log', level: recordLevel, time: Date.now(), msg, ...(data ? { data } : {}) }),
  );
}
