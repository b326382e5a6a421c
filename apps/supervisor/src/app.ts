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
import { qrRoutes } from './routes/qr.js';
import { sessionRoutes } from './routes/sessions.js';
import { simulateRoutes } from './routes/simulate.js';
import { lockDataDir } from './session/data-dir-lock.js';
import { killOwnedProcesses } from '@wsm/procfs';
import { SessionManager } from './session/session-manager.js';
import { SqliteSessionStore } from './store/sqlite-session-store.js';
import type { SessionStore } from './store/session-store.js';
import type { App } from './types.js';

export interface BuildOptions {
  config: Config;
  /** Defaults to a pino logger at `config.logLevel`. */
  logger?: Logger;
  /** Defaults to SQLite in `config.dataDir`. */
  store?: SessionStore;
}

export async function buildApp({ config, logger, store }: BuildOptions): Promise<App> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const log = logger ?? createLogger(config.logLevel);
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
    await sessions.load();

    const app = Fastify({
      loggerInstance: log,
      bodyLimit: config.bodyLimitBytes,
      // Unknown fields are an error to report, not something to drop silently.
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
      return503OnClosing: true,
    }).withTypeProvider<TypeBoxTypeProvider>();

    app.decorate('config', config);
    app.decorate('sessions', sessions);
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

    app.addHook('onClose', async () => {
      await sessions.shutdown();
      await registry.close();
      release();
    });
    return app;
  } catch (error) {
    release();
    throw error;
  }
}
