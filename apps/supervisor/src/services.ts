/**
 * Everything the supervisor runs besides HTTP, built in dependency order and stopped in reverse:
 * the data-dir lock and orphan clean-up, the registry, the runner and the session service, the event outbox with its
 * recorder and webhook dispatcher, idempotent sending, the sessions' log records, resource monitoring, metrics.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { sessionDirectory } from '@wsm/ipc-protocol';
import { killOwnedProcesses } from '@wsm/procfs';
import type { Config } from './config.js';
import { ClusterMode } from './cluster/cluster-mode.js';
import { newClaimOwner } from './events/claim-owner.js';
import { recorderFeed, SignalFeed, type EventFeed } from './events/event-feed.js';
import { EventRecorder } from './events/event-recorder.js';
import type { OutboxStore } from './events/outbox-store.js';
import { WebhookDispatcher } from './events/webhook-dispatcher.js';
import { createLogger } from './logger.js';
import { PgSessionLogStore } from './logs/pg-session-log-store.js';
import { MediaStore } from './media/media-store.js';
import { MessageSender } from './messages/message-sender.js';
import { Metrics } from './metrics.js';
import { lockDataDir } from './session/data-dir-lock.js';
import { LaunchQueue } from './session/launch-queue.js';
import { DEFAULT_CPU_LIMITS } from './session/launch-policy.js';
import { ResourceMonitor } from './session/resource-monitor.js';
import { SessionRegistry } from './session/session-registry.js';
import { SessionRunner } from './session/session-runner.js';
import { SessionService } from './session/session-service.js';
import { SessionLogs } from './session-logs.js';
import { openStorage } from './store/open-storage.js';
import type { SessionStore } from './store/session-store.js';

export interface ServiceOptions {
  config: Config;
  /** Defaults to a pino logger at `config.logLevel` on stdout, feeding `sessionLogs`. */
  logger?: Logger;
  /** The per-session log buffer that `logger` feeds. */
  sessionLogs?: SessionLogs;
  /** Defaults to SQLite in `config.dataDir`. */
  store?: SessionStore;
  /** Defaults to SQLite in `config.dataDir`. */
  outbox?: OutboxStore;
}

export interface Services {
  config: Config;
  log: Logger;
  sessions: SessionService;
  registry: SessionRegistry;
  runner: SessionRunner;
  recorder: EventRecorder;
  /** What wakes SSE streams: this process's recorder on one node, the database's notifications in a cluster. */
  eventFeed: EventFeed;
  outbox: OutboxStore;
  /** Cluster mode's parts; undefined on a single node. */
  cluster: ClusterMode | undefined;
  dispatcher: WebhookDispatcher;
  sender: MessageSender;
  /** Media bytes of this node's messages. */
  media: MediaStore;
  sessionLogs: SessionLogs;
  metrics: Metrics;
  monitor: ResourceMonitor;
  /** Prunes the outbox, starts webhook delivery and resource sampling (not the sessions: see restore()). */
  start(): Promise<void>;
  /** Brings sessions up: restores them on one node; in a cluster, the lease loop takes this node's share. */
  restore(): Promise<void>;
  /**
   * Stops every worker (keeping desired states), flushes events, closes the stores, releases the lock. In a
   * cluster, each session is handed over first (stopped cleanly, its pairing saved, its lease released).
   */
  close(): Promise<void>;
}

/** How often old events are pruned from the outbox. */
const PRUNE_INTERVAL_MS = 3_600_000;

export async function createServices(options: ServiceOptions): Promise<Services> {
  const { config } = options;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const sessionLogs = options.sessionLogs ?? new SessionLogs(config.sessionLogRecords);
  const log = options.logger ?? createLogger(config.logLevel, sessionLogs);
  const release = lockDataDir(config.dataDir);
  try {
    // Workers or browsers that a killed predecessor left behind hold auth data and browser profiles: end them first.
    const orphans = killOwnedProcesses(config.dataDir);
    if (orphans.length > 0) {
      log.warn({ pids: orphans.map((stat) => stat.pid) }, 'killed processes left behind by a previous supervisor');
    }
    // Uploads a killed predecessor was spooling, or had spooled and not sent: nobody owns them any more.
    rmSync(config.media.spoolDir, { recursive: true, force: true });
    const storage = await openStorage(config, log, options);
    const { sessions: store, outbox, idempotency } = storage;
    const cluster =
      config.cluster === undefined || storage.postgres === undefined ? undefined : new ClusterMode(config, config.cluster, storage.postgres, log);
    // In a cluster a session's log records follow it from node to node: they are kept in the shared database.
    if (config.cluster !== undefined && storage.postgres !== undefined) {
      sessionLogs.use(new PgSessionLogStore(storage.postgres, { nodeId: config.cluster.nodeId, perSession: config.sessionLogRecords, log }));
    }
    const registry = await SessionRegistry.load(store, log, cluster === undefined ? {} : { fenceOf: cluster.fenceOf });
    const metrics: Metrics = new Metrics((): SessionRunner => runner, outbox);
    const dispatcher: WebhookDispatcher = new WebhookDispatcher({
      store: outbox,
      // One supervisor per DATA_DIR (the lock above): node `local` or NODE_ID, a new instance id each start.
      owner: newClaimOwner(config.cluster?.nodeId),
      secret: config.webhooks.secret,
      policy: config.webhooks,
      timeoutMs: config.webhooks.timeoutMs,
      concurrency: config.webhooks.concurrency,
      log,
      observer: metrics,
      ...(config.blockPrivateAddresses ? { guard: { trusted: new Set(config.webhooks.urls) } } : {}),
    });
    const recorder = new EventRecorder({
      store: outbox,
      globalTargets: config.webhooks.urls,
      sessionTargets: (sessionId) => registry.get(sessionId)?.webhooks ?? [],
      reserve: (target) => dispatcher.reserve(target),
      unreserve: (target) => dispatcher.unreserve(target),
      claim: () => dispatcher.claim(),
      log,
    });
    const launches = new LaunchQueue({
      policy: { maxLaunches: config.launchConcurrency, minFreeBytes: config.admission.minFreeBytes, ...DEFAULT_CPU_LIMITS },
      cpuCount: availableParallelism(),
      // A launch that outlives the worker's own launch and load deadlines has failed or is about to.
      holdLimitMs: config.webjs.launchTimeoutMs + config.webjs.loadTimeoutMs,
      log: log.child({ component: 'launch-queue' }),
    });
    const runner: SessionRunner = new SessionRunner({
      config,
      registry,
      events: recorder,
      log,
      owner: config.dataDir,
      policy: config.restart,
      sessionDir: (sessionId) => sessionDirectory(config.dataDir, sessionId),
      observer: metrics,
      launches,
      ...(cluster === undefined ? {} : { lease: cluster.node }),
    });
    recorder.attach(runner);
    const eventFeed = cluster === undefined ? recorderFeed(recorder) : new SignalFeed(recorder);
    if (cluster !== undefined && eventFeed instanceof SignalFeed) {
      cluster.attach({ registry, runner, feed: eventFeed, sessionDir: (sessionId) => sessionDirectory(config.dataDir, sessionId) });
    }
    recorder.on('claimed', (deliveries) => dispatcher.accept(deliveries));
    // Deliveries written pending (a lane was full, or delivery had not started yet) are found by the pump.
    recorder.on('unclaimed', () => dispatcher.kick());
    const monitor = new ResourceMonitor(runner, {
      intervalMs: config.resources.sampleIntervalMs,
      policy: {
        maxMemoryBytes: config.resources.maxSessionBytes,
        maxUptimeMs: config.resources.recycleAfterMs,
        minUptimeMs: config.resources.recycleMinUptimeMs,
      },
      log,
      onRecycle: (_sessionId, reason) => metrics.restart(reason),
    });
    // One node runs every session it has; a cluster node only those whose lease it takes.
    if (cluster === undefined) runner.adoptAll();
    const media = new MediaStore({
      root: config.media.storeDir,
      retentionMs: config.media.retentionMs,
      maxBytes: config.media.storeMaxBytes,
      log,
    });
    const sender = new MessageSender({ store: idempotency, recorder, media, mediaTimeoutMs: config.media.commandTimeoutMs, log });
    // Received media is downloaded at once: it then outlives the worker, the browser and the phone's copy.
    runner.on('event', ({ sessionId, event }) => {
      if (event.type !== 'message.received' || event.data.media === null) return;
      // What no send may be, no download at arrival is either (WhatsApp documents go up to 2 GB): such media is
      // fetched when asked for.
      if (event.data.media.size > config.media.maxBytes) return;
      const controller = runner.get(sessionId);
      if (controller === undefined) return;
      media.prefetch(sessionId, event.data.id, (messageId, path) =>
        controller.command('downloadMedia', { messageId, path }, config.media.commandTimeoutMs),
      );
    });
    const sessions = new SessionService({
      registry,
      runner,
      admission: config.admission,
      storeTimeoutMs: config.storeTimeoutMs,
      onRemoved: [
        (sessionId) => sender.forget(sessionId),
        (sessionId) => media.forget(sessionId),
        (sessionId) => sessionLogs.forget(sessionId),
        ...(cluster === undefined ? [] : [(sessionId: string) => cluster.forget(sessionId)]),
      ],
      ...(cluster === undefined
        ? {}
        : { acquire: cluster.acquire, nodeOf: cluster.nodeOf, onLoggedOut: (sessionId: string) => cluster.forgetPairing(sessionId) }),
    });

    const prune = async (): Promise<void> => {
      const before = Date.now() - config.outboxRetentionMs;
      await idempotency.prune(before);
      const pruned = await outbox.prune(before);
      if (pruned > 0) log.info({ pruned }, 'pruned old events from the outbox');
      const prunedMedia = await media.prune();
      if (prunedMedia > 0) log.info({ pruned: prunedMedia }, 'pruned stored media (MEDIA_RETENTION_HOURS, MEDIA_STORE_MAX_MB)');
    };
    let pruner: NodeJS.Timeout | undefined;

    return {
      config,
      log,
      sessions,
      registry,
      runner,
      recorder,
      eventFeed,
      outbox,
      cluster,
      dispatcher,
      sender,
      media,
      sessionLogs,
      metrics,
      monitor,
      async start() {
        await prune();
        pruner = setInterval(() => void prune().catch((error: unknown) => log.error({ err: error }, 'pruning failed')), PRUNE_INTERVAL_MS);
        pruner.unref();
        await dispatcher.start();
        monitor.start();
        await cluster?.start();
      },
      async restore() {
        if (cluster === undefined) await sessions.restore();
      },
      async close() {
        clearInterval(pruner);
        monitor.stop();
        await cluster?.handOver().catch((error: unknown) => log.error({ err: error }, 'hand-over at shutdown failed'));
        await sessions.shutdown();
        launches.close();
        await cluster?.close();
        await recorder.flush().catch((error: unknown) => log.error({ err: error }, 'events lost at shutdown'));
        await dispatcher.close();
        // After everything that logs about sessions, before the database closes.
        await sessionLogs.close();
        await storage.close();
        release();
      },
    };
  } catch (error) {
    await sessionLogs.close();
    release();
    throw error;
  }
}
