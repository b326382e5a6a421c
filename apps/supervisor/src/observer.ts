/**
 * What the sessions and the webhook dispatcher report as they work: a port of its own, so the code that
 * reports does not import the metrics that count it (metrics.ts implements it).
 */
export interface Observer {
  workerExit(cause: string): void;
  restart(reason: string): void;
  /** A silence past the heartbeat timeout not judged a hang: `supervisor-stalled`, `worker-starved` or `worker-blocking`. */
  watchdogReprieve(reason: string): void;
  command(name: string, seconds: number, outcome: 'ok' | 'error'): void;
  delivery(outcome: 'delivered' | 'retry' | 'failed'): void;
}
