/**
 * Delivers the outbox to webhook targets, at least once, through one lane per target: a bounded in-memory
 * queue and a small window of requests in flight, so a slow or dead receiver only ever holds its own lane.
 *
 * Fresh deliveries do not go through SQLite queries: the recorder asks `reserve(target)` for room, writes the
 * delivery already claimed (`sending`, held by this dispatcher's `claim()`), and hands it over with `accept()`.
 * Everything else (retries coming due, deliveries that found a lane full, those a killed predecessor left claimed,
 * released at start, and those whose claim expired: another node died) is pumped from the outbox in batches
 * when a lane runs low, and at the next due time. Finished deliveries are recorded in batches, one transaction
 * per turn of the event loop, each only while its claim is still ours.
 *
 * Claims: every claim this process holds (in flight or queued in a lane) is renewed by one query on a timer,
 * not one per delivery; at shutdown, what is left unfinished is released for whoever runs next.
 */
import type { Logger } from 'pino';
import type { Observer } from '../observer.js';
import type { ClaimOwner } from './claim-owner.js';
import { claimTiming, type ClaimTiming } from './claim-policy.js';
import { decideDelivery, type DeliveryPolicy } from './delivery-policy.js';
import type { Claim, DeliveryKey, DueDelivery, OutboxStore } from './outbox-store.js';
import { WebhookClient, type AddressGuard } from './webhook-post.js';
import { BlockedAddressError } from '../net/address-guard.js';
import { signWebhook } from './webhook-signature.js';

export interface DispatcherOptions {
  store: OutboxStore;
  /** Whose claims this dispatcher takes, finishes, renews and releases. */
  owner: ClaimOwner;
  secret: string | undefined;
  policy: DeliveryPolicy;
  timeoutMs: number;
  /** Requests in flight per target. */
  concurrency: number;
  log: Logger;
  observer: Pick<Observer, 'delivery'>;
  /** BLOCK_PRIVATE_ADDRESSES: targets other than these trusted ones may not connect to private addresses. */
  guard?: AddressGuard;
}

interface Lane {
  queue: DueDelivery[];
  /** Fresh deliveries promised room by reserve() and not yet accepted. */
  reserved: number;
  inFlight: number;
  /** The outbox may hold due deliveries of this target that are not in the queue. */
  backlog: boolean;
}

const MAX_ERROR_TEXT = 500;
/** At shutdown, requests still in flight after this are aborted; their claims are released. */
const CLOSE_GRACE_MS = 2000;
/** Deliveries one lane holds in memory; past this they wait in the outbox. */
const LANE_LIMIT = 5000;
/** A lane with fewer queued than this asks the outbox for more. */
const LANE_LOW_WATER = 500;
const CLAIM_BATCH = 500;

export class WebhookDispatcher {
  readonly #options: DispatcherOptions;
  readonly #lanes = new Map<string, Lane>();
  readonly #requests = new Set<Promise<void>>();
  #finished: Array<DeliveryKey & { statusCode: number }> = [];
  readonly #timing: ClaimTiming;
  #renewer: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #pumping = false;
  #again = false;
  #started = false;
  #closed = false;
  /** Past close()'s grace: requests still in flight were cut off, and their outcome says nothing. */
  #cutOff = false;
  readonly #client: WebhookClient;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#client = new WebhookClient(options.concurrency, options.guard);
    this.#timing = claimTiming(options.timeoutMs, CLOSE_GRACE_MS);
  }

  async start(): Promise<void> {
    const released = await this.#options.store.releaseClaims(this.#options.owner.node);
    if (released > 0) this.#options.log.info({ released }, 'retrying webhook deliveries interrupted by a restart');
    this.#renewer = setInterval(() => void this.#renew(), this.#timing.renewEveryMs);
    this.#renewer.unref();
    this.#started = true;
    this.kick();
  }

  /** The claim that deliveries taken now are held by: ours, until it expires unless renewed. */
  claim(): Claim {
    return { owner: this.#options.owner.id, untilMs: Date.now() + this.#timing.ttlMs };
  }

  /** Room for one fresh delivery to `target` in memory; false: write it pending, the pump will find it. */
  reserve(target: string): boolean {
    if (!this.#started || this.#closed) return false;
    const lane = this.#lane(target);
    if (lane.queue.length + lane.reserved + lane.inFlight >= LANE_LIMIT) {
      lane.backlog = true;
      return false;
    }
    lane.reserved += 1;
    return true;
  }

  /** A reservation whose delivery was never written (the change that caused it was refused). */
  unreserve(target: string): void {
    const lane = this.#lanes.get(target);
    if (lane !== undefined) lane.reserved = Math.max(0, lane.reserved - 1);
  }

  /** Fresh deliveries that reserve() made room for, now durable and claimed. */
  accept(deliveries: readonly DueDelivery[]): void {
    for (const delivery of deliveries) {
      const lane = this.#lane(delivery.target);
      lane.reserved = Math.max(0, lane.reserved - 1);
      lane.queue.push(delivery);
    }
    for (const target of new Set(deliveries.map((delivery) => delivery.target))) this.#drain(target);
  }

  /** The outbox may have due deliveries (pending ones written, failed ones redelivered): pump soon. */
  kick(): void {
    if (this.#closed || !this.#started) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    void this.#pump();
  }

  /** Stops claiming; lets requests in flight finish for a moment, then aborts them. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#renewer);
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.#requests),
      new Promise((resolve) => {
        grace = setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    this.#cutOff = true;
    this.#client.abort();
    await Promise.allSettled(this.#requests);
    this.#client.close();
    await this.#recordFinished();
    try {
      // Aborted or still queued in a lane: back to pending now, rather than when the claims expire.
      await this.#options.store.releaseClaims(this.#options.owner.node);
    } catch (error) {
      this.#options.log.error({ err: error }, 'could not release webhook delivery claims; they expire by themselves');
    }
  }

  async #renew(): Promise<void> {
    const { untilMs } = this.claim();
    try {
      await this.#options.store.renewClaims(this.#options.owner.id, untilMs);
    } catch (error) {
      this.#options.log.error({ err: error }, 'could not renew webhook delivery claims');
    }
  }

  #lane(target: string): Lane {
    let lane = this.#lanes.get(target);
    if (lane === undefined) {
      lane = { queue: [], reserved: 0, inFlight: 0, backlog: true };
      this.#lanes.set(target, lane);
    }
    return lane;
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        const now = Date.now();
        const due = await this.#options.store.dueTargets(now);
        // A lane the outbox has nothing due for has no backlog: without this, a lane created with one (it could
        // not know) kept asking after every delivery, and each ask scanned every claimed row (most of the
        // supervisor's CPU with per-session webhooks). What comes due later wakes the pump by its time; what a
        // full lane writes pending sets the flag again and kicks.
        const dueSet = new Set(due);
        for (const [target, lane] of this.#lanes) if (!dueSet.has(target)) lane.backlog = false;
        for (const target of due) {
          const lane = this.#lane(target);
          if (lane.queue.length >= LANE_LOW_WATER || this.#closed) continue;
          const claimed = await this.#options.store.claimDue(this.claim(), now, target, CLAIM_BATCH);
          lane.queue.push(...claimed);
          lane.backlog = claimed.length === CLAIM_BATCH;
          this.#drain(target);
        }
      } while (this.#again && !this.#closed);
      // Lanes still well stocked ask for more themselves when they run low (backlog), not by timer.
      const stocked: string[] = [];
      for (const [target, lane] of this.#lanes) {
        if (lane.queue.length >= LANE_LOW_WATER) {
          lane.backlog = true;
          stocked.push(target);
        }
      }
      const due = await this.#options.store.nextDueMs(stocked, this.#options.owner.id);
      if (due !== undefined) this.#wakeAt(due);
    } catch (error) {
      this.#options.log.error({ err: error }, 'webhook pump failed');
      this.#wakeAt(Date.now() + 1000);
    } finally {
      this.#pumping = false;
      // A kick that came while the next wake-up was being computed must not be lost.
      if (this.#again && !this.#closed) this.kick();
    }
  }

  #wakeAt(ms: number): void {
    if (this.#closed || ms >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = ms;
    this.#timer = setTimeout(() => {
      this.#timerAt = Infinity;
      this.kick();
    }, Math.max(0, ms - Date.now()));
    this.#timer.unref();
  }

  #drain(target: string): void {
    const lane = this.#lane(target);
    while (!this.#closed && lane.inFlight < this.#options.concurrency && lane.queue.length > 0) {
      this.#send(lane, lane.queue.shift()!);
    }
    if (lane.backlog && lane.queue.length < LANE_LOW_WATER) this.kick();
  }

  #send(lane: Lane, delivery: DueDelivery): void {
    lane.inFlight += 1;
    const request = this.#attempt(delivery)
      .catch((error: unknown) => this.#options.log.error({ err: error, target: delivery.target }, 'recording a webhook attempt failed'))
      .finally(() => {
        lane.inFlight -= 1;
        this.#requests.delete(request);
        this.#drain(delivery.target);
      });
    this.#requests.add(request);
  }

  /** Finished deliveries are written together, once per turn of the event loop. */
  #delivered(eventSeq: number, target: string, statusCode: number): void {
    if (this.#finished.length === 0) setImmediate(() => void this.#recordFinished());
    this.#finished.push({ eventSeq, target, statusCode });
  }

  async #recordFinished(): Promise<void> {
    const finished = this.#finished;
    if (finished.length === 0) return;
    this.#finished = [];
    try {
      const recorded = await this.#options.store.markDelivered(this.#options.owner.id, finished, Date.now());
      if (recorded < finished.length) this.#lostClaims(finished.length - recorded);
    } catch (error) {
      // Still `sending` and ours: released at shutdown (or at expiry, if this process dies) and sent again (at least once).
      this.#options.log.error({ err: error, deliveries: finished.length }, 'could not record finished webhook deliveries');
    }
  }

  /** Outcomes refused because another claimant took the deliveries over: this process stalled past their expiry. */
  #lostClaims(deliveries: number): void {
    this.#options.log.warn({ deliveries }, 'webhook delivery claims expired and were taken over; outcome left to the new holder');
  }

  async #attempt(delivery: DueDelivery): Promise<void> {
    const { store, secret, policy, timeoutMs, log, owner } = this.#options;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'whatsapp-session-manager',
      'x-wsm-event-id': delivery.eventId,
      'x-wsm-event-type': delivery.eventType,
      'x-wsm-timestamp': String(timestamp),
    };
    if (secret !== undefined) headers['x-wsm-signature'] = signWebhook(secret, timestamp, delivery.body);
    let statusCode: number | null = null;
    let error = '';
    let blocked = false;
    try {
      const response = await this.#client.post(delivery.target, headers, delivery.body, timeoutMs);
      statusCode = response.statusCode;
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}: ${response.text}`;
    } catch (cause) {
      // The guard refused where the target resolves: no retry can change that, only the operator or the DNS.
      blocked = cause instanceof BlockedAddressError;
      const reason = cause instanceof Error ? `${(cause as NodeJS.ErrnoException).code ?? cause.name}: ${cause.message}` : String(cause);
      error = reason.slice(0, MAX_ERROR_TEXT);
    }
    // Cut off by shutdown: no verdict on the receiver; close() releases the claim.
    if (this.#cutOff) return;
    const attempts = delivery.attempts + 1;
    const decision = blocked ? ({ action: 'fail' } as const) : decideDelivery(policy, attempts, statusCode);
    this.#options.observer.delivery(decision.action === 'fail' ? 'failed' : decision.action);
    const now = Date.now();
    switch (decision.action) {
      case 'delivered':
        this.#delivered(delivery.eventSeq, delivery.target, statusCode!);
        return;
      case 'retry':
        log.debug({ target: delivery.target, eventId: delivery.eventId, attempts, error }, 'webhook delivery failed; will retry');
        if (await store.markRetry(owner.id, delivery, { attempts, nextAttemptMs: now + decision.delayMs, error, statusCode })) {
          this.#wakeAt(now + decision.delayMs);
        } else this.#lostClaims(1);
        return;
      case 'fail':
        log.warn({ target: delivery.target, eventId: delivery.eventId, attempts, error }, 'webhook delivery gave up; kept as failed');
        if (!(await store.markFailed(owner.id, delivery, { attempts, error, statusCode }))) this.#lostClaims(1);
        return;
    }
  }
}
