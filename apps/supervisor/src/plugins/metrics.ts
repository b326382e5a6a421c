/** GET /metrics in Prometheus text format, and the HTTP latency histogram fed by every request. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.http.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unknown', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { tags: ['service'], description: 'Prometheus metrics' } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
