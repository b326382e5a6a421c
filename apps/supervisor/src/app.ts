/**
 * Builds the supervisor's HTTP API over its services (services.ts), without listening: tests build it,
 * `server.ts` listens. Closing the app stops every worker and closes the stores.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Config } from './config.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerAuth } from './plugins/auth.js';
import { registerCors } from './plugins/cors.js';
import { registerForwarding } from './plugins/forward.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandlers, MAX_PARAM_LENGTH } from './plugins/error-handler.js';
import { installJsonBody } from './plugins/json-body.js';
import { registerMetrics } from './plugins/metrics.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { formatSchemaErrors, installValidation } from './plugins/validation.js';
import { lazyChildLogger, RequestLogController } from './plugins/request-logging.js';
import { authRoutes } from './routes/auth.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { logRoutes } from './routes/logs.js';
import { chatRoutes } from './routes/chats.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { mediaRoutes } from './routes/media.js';
import { messageRoutes } from './routes/messages.js';
import { nodeRoutes } from './routes/nodes.js';
import { qrRoutes } from './routes/qr.js';
import { sessionRoutes } from './routes/sessions.js';
import { simulateRoutes } from './routes/simulate.js';
import { webhookRoutes } from './routes/webhooks.js';
import { createServices, type ServiceOptions } from './services.js';
import type { App } from './types.js';

export type BuildOptions = ServiceOptions;

const SERVICE_VERSION = '0.1.0';

/**
 * How long a forwarded request may wait for the owner's answer: a long poll its own timeout, a read a few
 * seconds unless the worker answers it (media, screenshots, number checks), a command its timeout and the stop
 * that may follow it (a logout, a delete: two STOP_TIMEOUT_MS at most); each plus a margin for the hop.
 */
function forwardDeadlineMs(request: FastifyRequest, config: Config): number {
  const margin = 5_000;
  const commandMs = config.commandTimeoutMs + 2 * config.stopTimeoutMs;
  const mediaMs = Math.max(commandMs, config.media.commandTimeoutMs);
  const query = request.query as { wait?: unknown; timeout?: unknown } | undefined;
  const path = request.url.split('?')[0] ?? '';
  if (request.method === 'GET' && query?.wait !== undefined) return Number(query.timeout ?? 30) * 1000 + margin;
  if (request.method === 'GET' && path.endsWith('/media')) return mediaMs + margin;
  if (request.method === 'GET' && /\/(screenshot|contacts\/[^/]+)$/.test(path)) return config.commandTimeoutMs + margin;
  if (request.method === 'GET') return margin;
  return (/\/messages$/.test(path) ? mediaMs : commandMs) + margin;
}

export async function buildApp(options: BuildOptions): Promise<App> {
  const services = await createServices(options);
  const { config, log } = services;
  const app = Fastify({
    loggerInstance: log,
    logController: new RequestLogController(),
    childLoggerFactory: lazyChildLogger,
    bodyLimit: config.bodyLimitBytes,
    schemaErrorFormatter: formatSchemaErrors,
    // Long enough for any path parameter to reach its schema, and a coded error, instead of the router's 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const fastify = app as unknown as FastifyInstance;
  installValidation(fastify);

  app.decorate('config', config);
  app.decorate('sessions', services.sessions);
  app.decorate('events', services.recorder);
  app.decorate('eventFeed', { getter: () => services.eventFeed });
  app.decorate('outbox', services.outbox);
  app.decorate('webhooks', services.dispatcher);
  app.decorate('sessionLogs', services.sessionLogs);
  app.decorate('sender', services.sender);
  app.decorate('media', services.media);
  app.decorate('cluster', services.cluster);

  installErrorHandlers(fastify, config.bodyLimitBytes);
  // Preflights first: they carry no credential.
  await registerCors(fastify, config.corsOrigins);
  const auth = config.apiKey === undefined ? undefined : registerAuth(fastify, { ...config, apiKey: config.apiKey });
  await registerRateLimit(fastify, config.rateLimitPerMinute);
  // Whatever a request caused is in the outbox before its answer leaves (the contract's durability rule).
  // Added to the routes that can cause something only: reads pay nothing for it.
  const flushEvents = async (): Promise<void> => services.recorder.flush();
  app.addHook('onRoute', (route) => {
    if (route.method === 'GET' || route.method === 'HEAD') return;
    route.onSend = [...(Array.isArray(route.onSend) ? route.onSend : route.onSend ? [route.onSend] : []), flushEvents];
  });

  installJsonBody(fastify);

  await registerOpenApi(fastify, SERVICE_VERSION);
  if (services.cluster !== undefined) {
    const { cluster } = services;
    await registerForwarding(fastify, {
      nodeId: cluster.node.nodeId,
      hopSecret: createHash('sha256').update(`wsm-hop\0${cluster.settings.databaseUrl}`).digest('hex'),
      locator: cluster.locator,
      nodes: cluster.nodes,
      connectTimeoutMs: 2_000,
      answerTimeoutMs: (request) => forwardDeadlineMs(request, config),
    });
  }
  registerMetrics(fastify, services.metrics);
  for (const routes of [healthRoutes, nodeRoutes, sessionRoutes, qrRoutes, simulateRoutes, messageRoutes, mediaRoutes, chatRoutes, eventRoutes, webhookRoutes, logRoutes]) {
    await app.register(routes);
  }
  if (auth !== undefined) await app.register(authRoutes(auth));
  await app.register(dashboardRoutes());

  app.addHook('onReady', () => services.start());
  app.addHook('onClose', () => services.close());
  return app;
}
