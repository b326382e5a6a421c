/**
 * Prometheus metrics of one supervisor (a registry per app, so tests can build several). Gauges read live
 * state when scraped; counters and histograms are fed through the `Observer` the sessions and the webhook
 * dispatcher are given.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutboxStore } from './events/outbox-store.js';
import { HttpLatency } from './http-latency.js';
import type { Observer } from './observer.js';
import type { SessionRunner } from './session/session-runner.js';
import { SESSION_STATUSES } from './session/state-machine.js';

export class Metrics implements Observer {
  readonly registry = new Registry();
  readonly #exits: Counter<'cause'>;
  readonly #restarts: Counter<'reason'>;
  readonly #reprieves: Counter<'reason'>;
  readonly #commands: Histogram<'command' | 'outcome'>;
  readonly #deliveries: Counter<'outcome'>;
  readonly http: HttpLatency;

  /** `runner` is read at scrape time: the runner is built with this object as its observer. */
  constructor(runner: () => SessionRunner, outbox: OutboxStore) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'wsm_supervisor_' });
    new Gauge({
      name: 'wsm_sessions',
      help: 'Sessions by status',
      labelNames: ['status'],
      registers,
      collect() {
        const sessions = runner();
        const counts = new Map<string, number>(SESSION_STATUSES.map((status) => [status, 0]));
        for (const session of sessions.controllers()) counts.set(session.status, (counts.get(session.status) ?? 0) + 1);
        for (const [status, count] of counts) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'wsm_launches',
      help: 'Worker launches by state: queued (waiting for a launch slot) or launching (forked, not yet past starting)',
      labelNames: ['state'],
      registers,
      collect() {
        const launches = runner().launches;
        this.set({ state: 'queued' }, launches.queued);
        this.set({ state: 'launching' }, launches.launching);
      },
    });
    new Gauge({
      name: 'wsm_session_memory_bytes',
      help: 'Memory (PSS) of a session, by process kind: its worker, its browser tree',
      labelNames: ['session_id', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const session of runner().controllers()) {
          const memory = session.memory;
          if (memory === null || !session.worker?.alive) continue;
          this.set({ session_id: session.sessionId, kind: 'worker' }, memory.workerBytes);
          this.set({ session_id: session.sessionId, kind: 'browser' }, memory.browserBytes);
        }
      },
    });
    new Gauge({
      name: 'wsm_outbox_deliveries',
      help: 'Webhook deliveries in the outbox still to do (pending) or given up (failed)',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await outbox.counts();
        this.set({ state: 'pending' }, counts.pending);
        this.set({ state: 'failed' }, counts.failed);
      },
    });
    new Gauge({
      name: 'wsm_outbox_events',
      help: 'Events kept in the outbox',
      registers,
      async collect() {
        this.set((await outbox.counts()).events);
      },
    });
    this.#exits = new Counter({
      name: 'wsm_worker_exits_total',
      help: 'Worker exits by cause: requested, crashed, heartbeat-timeout, protocol-error, spawn-failed',
      labelNames: ['cause'],
      registers,
    });
    this.#restarts = new Counter({
      name: 'wsm_worker_restarts_total',
      help: 'Workers started again without being asked: after a crash, or recycled for memory or on schedule',
      labelNames: ['reason'],
      registers,
    });
    this.#reprieves = new Counter({
      name: 'wsm_watchdog_reprieves_total',
      help: 'Worker silences past HEARTBEAT_TIMEOUT_MS not judged hangs, by reason: supervisor-stalled, worker-starved, worker-blocking',
      labelNames: ['reason'],
      registers,
    });
    this.#commands = new Histogram({
      name: 'wsm_ipc_command_duration_seconds',
      help: 'Round trip of a command to a worker and its reply',
      labelNames: ['command', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.#deliveries = new Counter({
      name: 'wsm_webhook_deliveries_total',
      help: 'Webhook attempts by outcome: delivered, retry (failed, will retry), failed (attempts exhausted)',
      labelNames: ['outcome'],
      registers,
    });
    this.http = new HttpLatency(this.registry, [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5]);
  }

  workerExit(cause: string): void {
    this.#exits.inc({ cause });
  }

  restart(reason: string): void {
    this.#restarts.inc({ reason });
  }

  watchdogReprieve(reason: string): void {
    this.#reprieves.inc({ reason });
  }

  command(name: string, seconds: number, outcome: 'ok' | 'error'): void {
    this.#commands.observe({ command: name, outcome }, seconds);
  }

  delivery(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.#deliveries.inc({ outcome });
  }
}
