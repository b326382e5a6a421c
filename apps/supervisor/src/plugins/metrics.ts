/** GET /metrics in Prometheus text format, and the HTTP latency histogram fed by every request. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // Callback style: an async hook would cost every request a promise.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.http.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unknown', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', { schema: { tags: ['service'], description: 'Prometheus metrics' } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
