/**
 * One session's lifecycle without forking: the controller drives a fake worker through the worker port and
 * writes through a registry over an in-memory store, so crash, backoff, crash loop and stop are checked
 * deterministically, and every assertion on the store is on what was made durable.
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BrowserProcess, CommandName, CommandParams, CommandResult } from '@wsm/ipc-protocol';
import type { EventPort } from '../src/events/event-port.js';
import type { Observer } from '../src/observer.js';
import { SessionController, type StatusChange } from '../src/session/session-controller.js';
import { newRecord } from '../src/session/session-record.js';
import { SessionRegistry } from '../src/session/session-registry.js';
import type { ExitCause, WorkerExit, WorkerSpec } from '../src/worker/worker-handle.js';
import type { Worker, WorkerEvents } from '../src/worker/worker-port.js';
import { testConfig } from './helpers.js';
import { MemorySessionStore } from './memory-session-store.js';

class FakeWorker extends EventEmitter<WorkerEvents> implements Worker {
  readonly spawnedAt = Date.now();
  readonly pid = 4242;
  readonly browser: BrowserProcess | null = null;
  alive = false;
  stopped: string | undefined;

  constructor(readonly spec: WorkerSpec) {
    super();
  }

  start(): void {
    this.alive = true;
  }

  async request<N extends CommandName>(_name: N, _params: CommandParams<N>): Promise<CommandResult<N>> {
    return {} as CommandResult<N>;
  }

  stop(reason: string): Promise<WorkerExit> {
    this.stopped = reason;
    return Promise.resolve(this.exit('requested'));
  }

  kill(cause: ExitCause): void {
    this.exit(cause);
  }

  leases: number[] = [];
  lease(untilMonotonicMs: number): void {
    this.leases.push(untilMonotonicMs);
  }

  /** The process ends: `requested` after a stop, `crashed` otherwise. */
  exit(cause: ExitCause, uptimeMs = 5): WorkerExit {
    const exit: WorkerExit = { code: 1, signal: null, cause, fatal: undefined, detail: 'exit code 1', uptimeMs };
    this.alive = false;
    this.emit('exit', exit);
    return exit;
  }
}

const observer: Observer = { workerExit() {}, restart() {}, command() {}, watchdogReprieve() {}, delivery() {} };

async function controllerFor(env: Record<string, string> = {}) {
  const config = testConfig('/nonexistent', { RESTART_BACKOFF_MS: '0', ...env });
  const store = new MemorySessionStore();
  const log = pino({ level: 'silent' });
  const registry = await SessionRegistry.load(store, log);
  const record = await registry.create(newRecord({ sessionId: 'unit', engine: 'simulated' }, 'stopped', new Date().toISOString()));
  const workers: FakeWorker[] = [];
  const announced: string[] = [];
  // Unique ids, as a real recorder's are: the store refuses a repeated one, as the outbox's table does.
  let prepared = 0;
  const events: EventPort = {
    prepare: (sessionId, type, data) => {
      const envelope = { id: `e${prepared++}`, type, sessionId, timestamp: new Date().toISOString(), data };
      return { envelope, body: JSON.stringify(envelope), targets: [] };
    },
    claim: () => ({ owner: 'test', untilMs: Date.now() + 60_000 }),
    announce: (batch) => announced.push(...batch.map((event) => String(event.envelope.data.status))),
    discard: () => {},
  };
  const controller = new SessionController(record, {
    config,
    registry,
    events,
    log,
    owner: '/nonexistent',
    policy: config.restart,
    sessionDir: () => '/nonexistent/sessions/unit',
    observer,
    workers: (spec) => {
      const worker = new FakeWorker(spec);
      workers.push(worker);
      return worker;
    },
  });
  const statuses: StatusChange[] = [];
  controller.on('status', (change) => statuses.push(change));
  const stored = async () => (await store.get('unit'))!;
  const nextStatus = (status: string) =>
    new Promise<void>((resolve) => {
      const listener = (change: StatusChange): void => {
        if (change.status !== status) return;
        controller.off('status', listener);
        resolve();
      };
      controller.on('status', listener);
    });
  return { controller, workers, statuses, stored, nextStatus, registry, store, announced };
}

describe('a session controller, driven through a fake worker', () => {
  it('starts a worker and records what it reports, each change durable before it is announced', async () => {
    const { controller, workers, statuses, stored, store, announced } = await controllerFor();
    expect(controller.start()).toBe(true);
    await controller.durable();
    expect(workers).toHaveLength(1);
    expect(workers[0]!.spec.sessionId).toBe('unit');
    expect(await stored()).toMatchObject({ status: 'starting', desiredState: 'running' });

    workers[0]!.emit('qr', { type: 'worker.qr', qr: '2@code', attempt: 1 });
    expect(controller.requireQr()).toBe('2@code');
    workers[0]!.emit('status', { type: 'worker.status', status: 'ready', me: { id: '15550001111@c.us', pushname: null } });
    await controller.durable();
    const row = await stored();
    expect(row).toMatchObject({ status: 'ready', me: { id: '15550001111@c.us' } });
    expect(row.readyAt).not.toBeNull();
    expect(statuses.map((change) => change.status)).toEqual(['starting', 'qr', 'ready']);
    // Each status event was written with its change, and announced once written.
    expect(store.events.map((event) => event.envelope.data.status)).toEqual(['starting', 'qr', 'ready']);
    expect(announced).toEqual(['starting', 'qr', 'ready']);
    // A second start of a running session spawns nothing.
    expect(controller.start()).toBe(false);
    await controller.settled();
    expect(workers).toHaveLength(1);
  });

  it('restarts a crashed worker after its backoff, then gives up on a crash loop', async () => {
    const { controller, workers, stored, nextStatus } = await controllerFor({ RESTART_MAX_CRASHES: '2' });
    controller.start();
    await controller.durable();
    for (let crash = 1; crash <= 2; crash++) {
      const restarted = nextStatus('starting');
      workers.at(-1)!.exit('crashed');
      await restarted;
      expect(workers).toHaveLength(crash + 1);
    }
    const failed = nextStatus('failed');
    workers.at(-1)!.exit('crashed');
    await failed;
    await controller.durable();
    const row = await stored();
    expect(row).toMatchObject({ status: 'failed', desiredState: 'stopped', restarts: 2 });
    expect(row.lastError).toMatchObject({ code: 'WSM_CRASH_LOOP' });
    expect(workers).toHaveLength(3);
  });

  it('stops in one sequence, and ignores what a stopping worker still reports', async () => {
    const { controller, workers, statuses, stored } = await controllerFor();
    controller.start();
    await controller.settled();
    const worker = workers[0]!;
    await controller.stop();
    expect(worker.stopped).toBe('stop requested');
    worker.emit('status', { type: 'worker.status', status: 'ready' });
    await controller.durable();
    expect(await stored()).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
    expect(statuses.map((change) => change.status)).toEqual(['starting', 'stopping', 'stopped']);
    expect(controller.runtime()).toEqual({ pid: null, browserPid: null, memory: null });
  });
});
