/**
 * Builds the supervisor: the durable registry, the session manager and the HTTP API, without listening.
 * Tests build it, `server.ts` listens. Closing the app stops every worker and closes the registry.
 */
import { mkdirSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { sessionDirectory } from '@wsm/ipc-protocol';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { apiKeyHook } from './plugins/auth.js';
import { installErrorHandlers } from './plugins/error-handler.js';
import { healthRoutes } from './routes/health.js';
import { messageRoutes } from './routes/messages.js';
import { qrRoutes } from './routes/qr.js';
import { sessionRoutes } from './routes/sessions.js';
import { simulateRoutes } from './routes/simulate.js';
import { lockDataDir } from './session/data-dir-lock.js';
import { killOwnedProcesses } from '@wsm/procfs';
import { SessionManager } from './session/session-manager.js';
import { SqliteSessionStore } from './store/sqlite-session-store.js';
import { EventRecorder } from './events/event-recorder.js';
import type { OutboxStore } from './events/outbox-store.js';
import { SqliteOutboxStore } from './events/sqlite-outbox-store.js';
import { WebhookDispatcher } from './events/webhook-dispatcher.js';
import { eventRoutes } from './routes/events.js';
import { webhookRoutes } from './routes/webhooks.js';
import { logRoutes } from './routes/logs.js';
import { SessionLogs } from './session-logs.js';
import { MessageSender } from './messages/message-sender.js';
import { SqliteIdempotencyStore } from './messages/sqlite-idempotency-store.js';
import type { SessionStore } from './store/session-store.js';
import type { App } from './types.js';

export interface BuildOptions {
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

/** How often old events are pruned from the outbox. */
const PRUNE_INTERVAL_MS = 3_600_000;

export async function buildApp({ config, logger, sessionLogs, store, outbox }: BuildOptions): Promise<App> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logs = sessionLogs ?? new SessionLogs(config.sessionLogRecords);
  const log = logger ?? createLogger(config.logLevel, logs);
  const release = lockDataDir(config.dataDir);
  try {
    // Workers or browsers that a killed predecessor left behind hold auth data and browser profiles: end them first.
    const orphans = killOwnedProcesses(config.dataDir);
    if (orphans.length > 0) {
      log.warn({ pids: orphans.map((stat) => stat.pid) }, 'killed processes left behind by a previous supervisor');
    }
    const registry = store ?? new SqliteSessionStore(config.dataDir, config.sqliteSynchronous);
    const sessions = new SessionManager({
      config,
      store: registry,
      log,
      owner: config.dataDir,
      policy: config.restart,
      sessionDir: (sessionId) => sessionDirectory(config.dataDir, sessionId),
    });
    const events = outbox ?? new SqliteOutboxStore(config.dataDir, config.sqliteSynchronous);
    const recorder = new EventRecorder({
      store: events,
      globalTargets: config.webhooks.urls,
      sessionTargets: (sessionId) => sessions.get(sessionId)?.webhooks ?? [],
      log,
    });
    recorder.attach(sessions);
    const dispatcher = new WebhookDispatcher({
      store: events,
      secret: config.webhooks.secret,
      policy: config.webhooks,
      timeoutMs: config.webhooks.timeoutMs,
      concurrency: config.webhooks.concurrency,
      log,
    });
    recorder.on('recorded', () => dispatcher.kick());
    const idempotency = new SqliteIdempotencyStore(config.dataDir, config.sqliteSynchronous);
    await sessions.load();

    const app = Fastify({
      loggerInstance: log,
      bodyLimit: config.bodyLimitBytes,
      // Unknown fields are an error to report, not something to drop silently.
      ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
      return503OnClosing: true,
    }).withTypeProvider<TypeBoxTypeProvider>();

    app.decorate('config', config);
    app.decorate('sessions', sessions);
    app.decorate('events', recorder);
    app.decorate('outbox', events);
    app.decorate('webhooks', dispatcher);
    app.decorate('sessionLogs', logs);
    app.decorate('sender', new MessageSender(idempotency, recorder));
    // Whatever a request caused is in the outbox before its answer leaves (the contract's durability rule).
    app.addHook('onSend', async (request) => {
      if (request.method !== 'GET') await recorder.flush();
    });
    installErrorHandlers(app as unknown as FastifyInstance, config.bodyLimitBytes);
    if (config.apiKey !== undefined) app.addHook('onRequest', apiKeyHook(config.apiKey));

    // POSTs without a body are fine even with `content-type: application/json` (many HTTP clients send it).
    const parseJson = app.getDefaultJsonParser('error', 'error');
    // JSON in and out: any other body is a 415, not a string that fails validation.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '') done(null, undefined);
      else parseJson(request, body as string, done);
    });

    await app.register(healthRoutes);
    await app.register(sessionRoutes);
    await app.register(qrRoutes);
    await app.register(simulateRoutes);
    await app.register(messageRoutes);
    await app.register(eventRoutes);
    await app.register(webhookRoutes);
    await app.register(logRoutes);

    const prune = async (): Promise<void> => {
      const before = Date.now() - config.outboxRetentionMs;
      await idempotency.prune(before);
      const pruned = await events.prune(before);
      if (pruned > 0) log.info({ pruned }, 'pruned old events from the outbox');
    };
    const pruner = setInterval(() => void prune().catch((error: unknown) => log.error({ err: error }, 'pruning failed')), PRUNE_INTERVAL_MS);
    pruner.unref();
    app.addHook('onReady', async () => {
      await prune();
      await dispatcher.start();
    });

    app.addHook('onClose', async () => {
      clearInterval(pruner);
      await sessions.shutdown();
      await recorder.flush().catch((error: unknown) => log.error({ err: error }, 'events lost at shutdown'));
      await dispatcher.close();
      await events.close();
      await idempotency.close();
      await registry.close();
      release();
    });
    return app;
  } catch (error) {
    release();
    throw error;
  }
}
