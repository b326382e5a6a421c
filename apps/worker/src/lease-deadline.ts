/**
 * The worker's own end of the lease: in a cluster the supervisor tells it, at every renewal, until when its
 * session's lease is surely held (`supervisor.lease`, a CLOCK_MONOTONIC deadline). If no later deadline has
 * come by then, the worker ends itself and its browser at once, without asking anyone: its supervisor may be
 * paused (SIGSTOP), hung, or cut off from the database, and another node will start the session once the lease
 * expires. Two clients on one WhatsApp account conflict, so this is not left to the supervisor alone.
 *
 * A worker that never received a deadline (one node, no leases) has none.
 */
import { monotonicNowMs } from '@wsm/ipc-protocol/runtime';

export class LeaseDeadline {
  readonly #onExpired: () => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #untilMs: number | undefined;

  constructor(onExpired: () => void, now: () => number = monotonicNowMs) {
    this.#onExpired = onExpired;
    this.#now = now;
  }

  /** A renewal: the new deadline replaces the old one (an earlier one too: the supervisor knows best). */
  extend(untilMonotonicMs: number): void {
    this.#untilMs = untilMonotonicMs;
    clearTimeout(this.#timer);
    const remaining = untilMonotonicMs - this.#now();
    if (remaining <= 0) {
      this.#onExpired();
      return;
    }
    // Timers can fire late under load but never early; the check on firing guards against neither, so the
    // supervisor's deadline already keeps a margin before the lease really expires (cluster/lease-timings.ts).
    this.#timer = setTimeout(() => this.#check(), remaining);
    this.#timer.unref();
  }

  get untilMs(): number | undefined {
    return this.#untilMs;
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const remaining = (this.#untilMs ?? 0) - this.#now();
    if (remaining > 0) this.#timer = setTimeout(() => this.#check(), remaining).unref();
    else this.#onExpired();
  }
}
