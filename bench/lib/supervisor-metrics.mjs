/** Figures read from a supervisor's Prometheus text (GET /metrics). */

/** The sum of a Prometheus counter's series whose labels include `labels` (text format, as GET /metrics answers). */
export function counterSum(text, name, labels = {}) {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (match === null) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[2]);
  }
  return total;
}

/**
 * A supervisor's worker counters from its GET /metrics (they start at 0 with each supervisor process): exits by
 * cause, restarts, and the hang watchdog's reprieves (silences it did not judge hangs).
 */
export async function workerCounters(base, headers = {}) {
  const response = await fetch(`${base}/metrics`, { headers, signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return countersOf(await response.text());
}

const countersOf = (text) => ({
  heartbeatTimeouts: counterSum(text, 'wsm_worker_exits_total', { cause: 'heartbeat-timeout' }),
  crashed: counterSum(text, 'wsm_worker_exits_total', { cause: 'crashed' }),
  spawnFailed: counterSum(text, 'wsm_worker_exits_total', { cause: 'spawn-failed' }),
  restarts: counterSum(text, 'wsm_worker_restarts_total'),
  reprieves: counterSum(text, 'wsm_watchdog_reprieves_total'),
});
