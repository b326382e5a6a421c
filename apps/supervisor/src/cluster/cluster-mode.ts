/**
 * Everything cluster mode adds to a supervisor, assembled in one place: the node's lease loop, the stores of
 * nodes, leases and pairings, the database notifications that keep the registry and the event streams current,
 * and the hooks the session service and the routes use. Built in two steps, because the registry needs the
 * node's fences before the runner (which the node drives) can exist.
 */
import { availableMemoryBytes } from '@wsm/procfs';
import { freemem } from 'node:os';
import type { Logger } from 'pino';
import type { ClusterConfig, Config } from '../config.js';
import type { SignalFeed } from '../events/event-feed.js';
import type { SessionController } from '../session/session-controller.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { SessionRunner } from '../session/session-runner.js';
import type { Fence } from '../store/fence.js';
import { PostgresDatabase } from '../store/postgres.js';
import { AuthStateKeeper } from './auth-state-keeper.js';
import { DEFAULT_AUTH_STATE_MAX_BYTES } from './auth-snapshot.js';
import { ClusterNode } from './cluster-node.js';
import { clusterTimings } from './lease-timings.js';
import type { NodeStore } from './node-store.js';
import { PgAuthStateStore } from './pg-auth-state-store.js';
import { PgLeaseStore } from './pg-lease-store.js';
import { PgListener } from './pg-listener.js';
import { PgNodeStore } from './pg-node-store.js';
import { releaseAtRest, runnerLeaseHost, takeHere, type LeaseHostOptions } from './runner-lease-host.js';
import { SessionLocator } from './session-locator.js';

/** How often a running session's pairing is looked at (saved only when it changed). */
const AUTH_SAVE_INTERVAL_MS = 60_000;

export interface ClusterAttachment {
  registry: SessionRegistry;
  runner: SessionRunner;
  feed: SignalFeed;
  sessionDir: (sessionId: string) => string;
}

export class ClusterMode {
  readonly settings: ClusterConfig;
  readonly node: ClusterNode;
  readonly nodes: NodeStore;
  readonly locator: SessionLocator;
  readonly #postgres: PostgresDatabase;
  /** The lease loop's own connections: API load, event streams and webhooks cannot make a renewal wait. */
  readonly #leasePool: PostgresDatabase;
  readonly #leases: PgLeaseStore;
  readonly #log: Logger;
  #listener: PgListener | undefined;
  #keeper: AuthStateKeeper | undefined;
  #hostOptions: LeaseHostOptions | undefined;
  #rest: { check(sessionId: string): void } | undefined;
  #runner: SessionRunner | undefined;
  #holders = new Map<string, Fence>();
  #timers: NodeJS.Timeout[] = [];

  constructor(config: Config, settings: ClusterConfig, postgres: PostgresDatabase, log: Logger) {
    this.settings = settings;
    this.#postgres = postgres;
    this.#log = log;
    this.#leasePool = PostgresDatabase.pool({ connectionString: settings.databaseUrl, max: 2, applicationName: `wsm:${settings.nodeId}:leases` });
    this.#leases = new PgLeaseStore(this.#leasePool);
    this.nodes = new PgNodeStore(this.#leasePool);
    this.node = new ClusterNode({
      nodeId: settings.nodeId,
      url: settings.nodeUrl,
      timings: clusterTimings(settings.leaseMs),
      leases: this.#leases,
      nodes: this.nodes,
      log,
      capacity: () => ({ maxSessions: config.admission.maxSessions, freeMemory: availableMemoryBytes() ?? freemem() }),
    });
    this.locator = new SessionLocator(this.node, postgres);
  }

  fenceOf = (sessionId: string): Fence | undefined => this.node.fenceOf(sessionId);

  /** Wires the node to the sessions this process runs. */
  attach(parts: ClusterAttachment): void {
    const { registry, runner, feed } = parts;
    this.#runner = runner;
    const keeper = new AuthStateKeeper({
      store: new PgAuthStateStore(this.#postgres),
      sessionDir: parts.sessionDir,
      engineOf: (sessionId) => registry.get(sessionId)?.engine,
      fenceOf: this.fenceOf,
      log: this.#log,
      maxBytes: DEFAULT_AUTH_STATE_MAX_BYTES,
    });
    this.#keeper = keeper;
    const afterStop = async (sessionId: string): Promise<void> => {
      await keeper.save(sessionId);
      keeper.drop(sessionId);
    };
    this.#hostOptions = { runner, registry, log: this.#log, beforeStart: (sessionId) => keeper.restore(sessionId), afterStop };
    this.#rest = releaseAtRest(runner, this.node, { afterStop, log: this.#log });
    runner.on('status', (change) => {
      if (change.status === 'ready') void keeper.ready(change.sessionId);
    });
    this.#listener = new PgListener(this.settings.databaseUrl, this.#log)
      .on('wsm_sessions', (payload) => {
        // "<id>" (created or deleted) or "<id> <version>" (updated): see postgres-schema.ts.
        const [sessionId = '', version] = payload.split(' ');
        const refreshed = version === undefined ? registry.refresh(sessionId) : registry.updated(sessionId, Number(version));
        void refreshed.catch(() => undefined);
      })
      .on('wsm_events', () => feed.wake())
      .on('wsm_leases', () => this.node.nudge())
      .onConnected(() => registry.reload());
  }

  /** Takes the lease of a session nobody runs and runs it here (not started); undefined when another node holds it. */
  acquire = async (sessionId: string): Promise<SessionController | undefined> => {
    const options = this.#hostOptions;
    if (options === undefined) return undefined;
    const lease = await this.node.acquire(sessionId);
    if (lease === undefined) return undefined;
    const controller = await takeHere(options, sessionId).catch(async (error: unknown) => {
      await this.node.release(sessionId);
      throw error;
    });
    if (controller === undefined) {
      await this.node.release(sessionId);
      return undefined;
    }
    this.#rest?.check(sessionId);
    return controller;
  };

  /** Deleted: its lease and pairing rows went with its row; this node forgets them too. */
  forget = (sessionId: string): void => {
    this.node.forget(sessionId);
    this.#keeper?.drop(sessionId);
  };

  /** Logged out: the saved pairing goes too (fenced by this node's lease). */
  forgetPairing = async (sessionId: string): Promise<void> => {
    await this.#keeper?.forget(sessionId);
  };

  /** The node running a session: this one, or the last snapshot of the others' leases. */
  nodeOf = (sessionId: string): string | undefined => {
    if (this.#runner?.get(sessionId) !== undefined && this.node.fenceOf(sessionId) !== undefined) return this.node.nodeId;
    return this.#holders.get(sessionId)?.nodeId;
  };

  async start(): Promise<void> {
    if (this.#hostOptions === undefined || this.#listener === undefined) throw new Error('ClusterMode.start before attach');
    await this.#listener.start();
    await this.node.start(runnerLeaseHost(this.#hostOptions));
    const every = (ms: number, work: () => Promise<unknown>): void => {
      const timer = setInterval(() => void work().catch((error: unknown) => this.#log.warn({ err: error }, 'cluster task failed')), ms);
      timer.unref();
      this.#timers.push(timer);
    };
    const refreshHolders = async (): Promise<void> => {
      this.#holders = await this.#leases.liveHolders();
    };
    await refreshHolders();
    every(this.node.timings.renewEveryMs, refreshHolders);
    every(AUTH_SAVE_INTERVAL_MS, () => this.#keeper!.saveAll(this.node.runs()));
  }

  /** SIGTERM: every session is stopped cleanly (final pairing saved) and its lease released for the others. */
  async handOver(): Promise<void> {
    await this.node.drain();
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.node.stop(true);
    await this.#listener?.close();
    await this.#leases.close();
    await (this.nodes as PgNodeStore).close();
  }
}
