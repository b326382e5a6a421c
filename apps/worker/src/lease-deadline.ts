/**
 * The worker's own end of the lease: in a cluster the supervisor tells it, at every renewal, until when its
 * session's lease is surely held (`supervisor.lease`, a CLOCK_MONOTONIC deadline). If no later deadline has
 * come by then, the worker ends itself and its browser at once, without asking anyone: its supervisor may be
 * paused (SIGSTOP), hung, or cut off from the database, and another node will start the session once the lease
 * expires. Two clients on one WhatsApp account conflict, so this is not left to the supervisor alone.
 *
 * A deadline found passed is judged only once the IPC pipe has been read after that moment: a worker whose event
 * loop was held past its deadline (loading whatsapp-web.js on a starved machine: seconds; a SIGSTOP) finds its
 * timer due before it reads the renewals waiting in the pipe, since libuv runs timers before polling; and one held
 * between reading a stale renewal and acting on it finds the stale deadline first, the fresh ones still unread.
 * Judged at once, either ended healthy workers whose supervisor had renewed all along (a webjs session on a busy
 * cluster node ended itself at every start, 5 times in a row). Two `setImmediate`s put a poll phase between the
 * finding and the verdict from whatever phase it was found in (an immediate queued by an immediate waits for the
 * next turn). The wait is a turn or two of the event loop; a supervisor that sent nothing still loses its worker
 * at the deadline.
 *
 * A worker that never received a deadline (one node, no leases) has none.
 */
import { monotonicNowMs } from '@wsm/ipc-protocol/runtime';

export class LeaseDeadline {
  readonly #onExpired: () => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #verdict: NodeJS.Immediate | undefined;
  #untilMs: number | undefined;

  constructor(onExpired: () => void, now: () => number = monotonicNowMs) {
    this.#onExpired = onExpired;
    this.#now = now;
  }

  /** A renewal: the new deadline replaces the old one (an earlier one too: the supervisor knows best). */
  extend(untilMonotonicMs: number): void {
    this.#untilMs = untilMonotonicMs;
    this.#check();
  }

  get untilMs(): number | undefined {
    return this.#untilMs;
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#verdict !== undefined) clearImmediate(this.#verdict);
    this.#verdict = undefined;
  }

  #check(): void {
    this.cancel();
    const remaining = (this.#untilMs ?? 0) - this.#now();
    // Timers can fire late under load but never early; the check on firing guards against neither, so the
    // supervisor's deadline already keeps a margin before the lease really expires (cluster/lease-timings.ts).
    if (remaining > 0) {
      this.#timer = setTimeout(() => this.#check(), remaining).unref();
      return;
    }
    // A renewal read by the poll in between calls extend(), which cancels this verdict and re-arms the timer.
    this.#verdict = setImmediate(() => (this.#verdict = setImmediate(() => this.#onExpired())));
  }
}
