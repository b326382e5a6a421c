/**
 * wsm_http_request_duration_seconds, the HTTP latency histogram every request feeds, kept as plain counts.
 * prom-client's Histogram validates and hashes the labels of every observation, even through a labelled child:
 * with the key check, about 6% of the supervisor's CPU on a GET. Here a request finds its series through
 * nested maps (route, method, status: strings and a number the request already has, no key built) and adds
 * to a few numbers; the registry reads it in the shape prom-client's Histogram gives, so /metrics prints the
 * same lines (test/http-latency.test.ts compares the two).
 */
import type { Metric, Registry } from 'prom-client';

type Labels = { method: string; route: string; status_code: string };

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Labels;
  value: number;
  metricName: string;
  exemplar?: null;
}

export class LatencySeries {
  readonly labels: Labels;
  /** Observations per bucket, not cumulative (made cumulative when read). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    this.sum += seconds;
    this.count += 1;
    const bounds = this.#bounds;
    for (let index = 0; index < bounds.length; index++) {
      if (seconds <= bounds[index]!) {
        this.counts[index]! += 1;
        return;
      }
    }
  }
}

export class HttpLatency {
  readonly name = 'wsm_http_request_duration_seconds';
  readonly help = 'HTTP request latency by route';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #byRoute = new Map<string, Map<string, Map<number, LatencySeries>>>();
  /** In the order they were first seen, as prom-client lists its series. */
  #series: LatencySeries[] = [];

  constructor(registry: Registry, buckets: readonly number[]) {
    this.#bounds = [...buckets].sort((a, b) => a - b);
    // The registry reads a metric through get()/getForPromString() alone; it is typed for prom-client's classes.
    registry.registerMetric(this as unknown as Metric);
  }

  series(method: string, route: string, statusCode: number): LatencySeries {
    let byMethod = this.#byRoute.get(route);
    if (byMethod === undefined) this.#byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = new LatencySeries({ method, route, status_code: String(statusCode) }, this.#bounds);
      byStatus.set(statusCode, series);
      this.#series.push(series);
    }
    return series;
  }

  reset(): void {
    this.#byRoute.clear();
    this.#series = [];
  }

  /** What the registry formats as text: buckets (cumulative), +Inf, _sum and _count per series. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const bucket = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const series of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += series.counts[index]!;
        values.push({ labels: { le: bound }, sharedLabels: series.labels, value: cumulative, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: series.labels, value: series.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The JSON shape (getMetricsAsJSON): every value with its series' labels merged in. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<Omit<ExportedValue, 'sharedLabels'>> }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...value }) => ({ ...value, labels: { ...labels, ...sharedLabels } })),
    };
  }
}
