/** GET /metrics in Prometheus text format, and the HTTP latency histogram fed by every request. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';
import { Refused, refusals } from '../schemas/errors.js';

export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // Callback style: an async hook would cost every request a promise.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.http.series(request.method, request.routeOptions.url ?? 'unknown', reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  });
  const schema = {
    tags: ['service'],
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'Sessions by status, worker exits and restarts, per-session memory, IPC command latency, webhook deliveries, outbox depth, ' +
      "HTTP latency and the supervisor's own process metrics, in Prometheus text format. Never rate limited. " +
      'Besides the API key (or the cookie), `Authorization: Bearer <METRICS_TOKEN>` opens this route and no other: give a scraper that token, not the key.',
    response: {
      200: {
        description: 'The metrics',
        content: {
          'text/plain': {
            schema: { type: 'string' },
            example: '# HELP wsm_sessions Sessions by status\n# TYPE wsm_sessions gauge\nwsm_sessions{status="ready"} 2\n',
          },
        },
      },
      ...refusals(Refused.unauthorized),
    },
  };
  app.get('/metrics', { schema }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
