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
import { LaunchQueue, type LaunchSlots } from '../src/session/launch-queue.js';
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

async function controllerFor(env: Record<string, string> = {}, shared: { launches?: LaunchSlots; sessionId?: string; workers?: FakeWorker[] } = {}) {
  const config = testConfig('/nonexistent', { RESTART_BACKOFF_MS: '0', ...env });
  const store = new MemorySessionStore();
  const log = pino({ level: 'silent' });
  const registry = await SessionRegistry.load(store, log);
  const sessionId = shared.sessionId ?? 'unit';
  const record = await registry.create(newRecord({ sessionId, engine: 'simulated' }, 'stopped', new Date().toISOString()));
  const workers: FakeWorker[] = shared.workers ?? [];
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
    ...(shared.launches === undefined ? {} : { launches: shared.launches }),
    workers: (spec) => {
      const worker = new FakeWorker(spec);
      workers.push(worker);
      return worker;
    },
  });
  const statuses: StatusChange[] = [];
  controller.on('status', (change) => statuses.push(change));
  const stored = async () => (await store.get(sessionId))!;
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

describe('a session controller behind a launch queue', () => {
  /** One slot, the CPU reported idle: what the queue grants then depends only on the slots held. */
  const oneSlot = () =>
    new LaunchQueue({
      policy: { maxLaunches: 1, minFreeBytes: 0, maxCpuStall: 0.5, minIdleCpus: 0.5, minPacedCpuMs: 250 },
      cpuCount: 2,
      holdLimitMs: 60_000,
      log: pino({ level: 'silent' }),
      tickMs: 10,
      sampleCpu: () => ({ atMs: performance.now(), stallUs: 0, times: undefined }),
      availableBytes: () => undefined,
    });
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('waits for a slot in `starting` with no worker; a stop takes it out of the line and nothing is ever forked', async () => {
    const launches = oneSlot();
    const workers: FakeWorker[] = [];
    const first = await controllerFor({}, { launches, sessionId: 'first', workers });
    const second = await controllerFor({}, { launches, sessionId: 'second', workers });
    first.controller.start();
    // Nothing waits or launches: the first is forked at once, in the start's own turn.
    expect(workers.map((worker) => worker.spec.sessionId)).toEqual(['first']);
    second.controller.start();
    await turn();
    expect(workers.map((worker) => worker.spec.sessionId)).toEqual(['first']);
    expect(second.controller.status).toBe('starting');
    expect(second.controller.queued).toBe(true);
    expect(second.statuses[0]?.reason).toBe('start requested: waiting for a launch slot (0 ahead)');
    expect(launches.queued).toBe(1);

    await second.controller.stop();
    await second.controller.durable();
    expect(second.statuses.map((change) => change.status)).toEqual(['starting', 'stopping', 'stopped']);
    expect(launches.queued).toBe(0);
    // The slot frees when the first leaves `starting`: the stopped second is not forked after all.
    first.workers[0]!.emit('qr', { type: 'worker.qr', qr: '2@code', attempt: 1 });
    await turn();
    await turn();
    expect(launches.launching).toBe(0);
    expect(workers.map((worker) => worker.spec.sessionId)).toEqual(['first']);
    expect(await second.stored()).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
  });

  it('grants slots first come, first served, and gets each back on every way out of `starting`', async () => {
    const launches = oneSlot();
    const workers: FakeWorker[] = [];
    const sessions = await Promise.all(['a', 'b', 'c', 'd'].map((sessionId) => controllerFor({}, { launches, sessionId, workers })));
    for (const session of sessions) session.controller.start();
    const forked = async (count: number) => {
      for (let i = 0; i < 20 && workers.length < count; i++) await turn();
      expect(workers.map((worker) => worker.spec.sessionId)).toEqual(['a', 'b', 'c', 'd'].slice(0, count));
      expect(launches.launching).toBe(1);
    };
    await forked(1);
    // a crashes while starting: the slot goes to b (a's restart after its backoff joins the line behind c and d).
    workers[0]!.exit('crashed');
    await forked(2);
    // b is stopped while launching.
    await sessions[1]!.controller.stop();
    await forked(3);
    // c becomes ready without a QR (a saved session).
    workers[2]!.emit('status', { type: 'worker.status', status: 'ready' });
    await forked(4);
    workers[3]!.emit('qr', { type: 'worker.qr', qr: '2@d', attempt: 1 });
    for (let i = 0; i < 20 && workers.length < 5; i++) await turn();
    expect(workers[4]!.spec.sessionId).toBe('a');
    workers[4]!.emit('qr', { type: 'worker.qr', qr: '2@a', attempt: 1 });
    await turn();
    expect(launches.launching).toBe(0);
    expect(launches.queued).toBe(0);
    await Promise.all(sessions.map((session) => session.controller.shutdown()));
    launches.close();
  });
});
