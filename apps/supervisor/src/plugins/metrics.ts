/** GET /metrics in Prometheus text format, and the HTTP latency histogram fed by every request. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';
import { Refused, refusals } from '../schemas/errors.js';

export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // One histogram child per method, route and status, looked up by a string: labelling an observation
  // from an object hashes its labels on every request.
  const children = new Map<string, { observe(value: number): void }>();
  // Callback style: an async hook would cost every request a promise.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let child = children.get(key);
    if (child === undefined) {
      child = metrics.http.labels(request.method, route, String(reply.statusCode));
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
  const schema = {
    tags: ['service'],
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'Sessions by status, worker exits and restarts, per-session memory, IPC command latency, webhook deliveries, outbox depth, ' +
      "HTTP latency and the supervisor's own process metrics, in Prometheus text format. Never rate limited.",
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
