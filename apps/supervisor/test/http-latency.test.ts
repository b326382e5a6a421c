import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpLatency } from '../src/http-latency.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const OBSERVATIONS: Array<[string, string, number, number]> = [
  ['GET', '/sessions/:sessionId', 200, 0.0004],
  ['GET', '/sessions/:sessionId', 200, 0.003],
  ['POST', '/start-session', 202, 0.02],
  ['GET', '/sessions/:sessionId', 404, 0.001],
  ['GET', 'unknown', 404, 7],
  ['GET', '/sessions/:sessionId', 200, 0.3],
  ['GET', '/a "quoted"\\route', 500, 0.05],
];

describe('HttpLatency', () => {
  it('prints and exports what a prom-client Histogram fed the same observations does', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const latency = new HttpLatency(ours, BUCKETS);
    const reference = new Histogram({
      name: 'wsm_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status_code'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [method, route, status, seconds] of OBSERVATIONS) {
      latency.series(method, route, status).observe(seconds);
      reference.labels(method, route, String(status)).observe(seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    latency.reset();
    reference.reset();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
