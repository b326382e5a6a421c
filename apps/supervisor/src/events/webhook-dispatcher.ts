/**
 * Delivers the outbox to webhook targets, at least once. Each target has its own small window of requests in
 * flight, so a slow or dead receiver only ever holds its own window: other receivers and the API go on.
 * Deliveries claimed by a process that died are released at start; the pump wakes on new events, on finished
 * requests, and at the next due retry.
 */
import type { Logger } from 'pino';
import type { Observer } from '../metrics.js';
import { decideDelivery, type DeliveryPolicy } from './delivery-policy.js';
import type { DueDelivery, OutboxStore } from './outbox-store.js';
import { signWebhook } from './webhook-signature.js';

export interface DispatcherOptions {
  store: OutboxStore;
  secret: string | undefined;
  policy: DeliveryPolicy;
  timeoutMs: number;
  /** Requests in flight per target. */
  concurrency: number;
  log: Logger;
  observer: Pick<Observer, 'delivery'>;
}

const MAX_ERROR_TEXT = 500;
/** At shutdown, requests still in flight after this are aborted; their claims are released at the next start. */
const CLOSE_GRACE_MS = 2000;

export class WebhookDispatcher {
  readonly #options: DispatcherOptions;
  readonly #inFlight = new Map<string, number>();
  readonly #requests = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #pumping = false;
  #again = false;
  #closed = false;
  readonly #abort = new AbortController();

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const released = await this.#options.store.releaseClaims();
    if (released > 0) this.#options.log.info({ released }, 'retrying webhook deliveries interrupted by a restart');
    this.kick();
  }

  /** Something may be due: run the pump soon (calls coalesce). */
  kick(): void {
    if (this.#closed) return;
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
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.#requests),
      new Promise((resolve) => {
        grace = setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    this.#abort.abort();
    await Promise.allSettled(this.#requests);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        const now = Date.now();
        for (const target of await this.#options.store.dueTargets(now)) {
          const room = this.#options.concurrency - (this.#inFlight.get(target) ?? 0);
          if (room <= 0 || this.#closed) continue;
          for (const delivery of await this.#options.store.claimDue(now, target, room)) this.#send(delivery);
        }
      } while (this.#again && !this.#closed);
      await this.#scheduleNext();
    } catch (error) {
      this.#options.log.error({ err: error }, 'webhook pump failed');
      this.#timer = setTimeout(() => this.kick(), 1000).unref();
    } finally {
      this.#pumping = false;
      // A kick that came while the next wake-up was being computed must not be lost.
      if (this.#again && !this.#closed) this.kick();
    }
  }

  async #scheduleNext(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    const busy = [...this.#inFlight].filter(([, count]) => count >= this.#options.concurrency).map(([target]) => target);
    const due = await this.#options.store.nextDueMs(busy);
    if (due === undefined) return;
    this.#timer = setTimeout(() => this.kick(), Math.max(0, due - Date.now())).unref();
  }

  #send(delivery: DueDelivery): void {
    const { target } = delivery;
    this.#inFlight.set(target, (this.#inFlight.get(target) ?? 0) + 1);
    const request = this.#attempt(delivery)
      .catch((error: unknown) => this.#options.log.error({ err: error, target }, 'recording a webhook attempt failed'))
      .finally(() => {
      const left = (this.#inFlight.get(target) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(target, left);
      else this.#inFlight.delete(target);
      this.#requests.delete(request);
      this.kick();
    });
    this.#requests.add(request);
  }

  async #attempt(delivery: DueDelivery): Promise<void> {
    const { store, secret, policy, timeoutMs, log } = this.#options;
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
    try {
      const response = await fetch(delivery.target, {
        method: 'POST',
        headers,
        body: delivery.body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#abort.signal]),
        redirect: 'manual',
      });
      statusCode = response.status;
      // Read the answer to the end, so the connection can be kept alive for the next delivery.
      const text = await response.text().catch(() => '');
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}: ${text.slice(0, MAX_ERROR_TEXT)}`;
    } catch (cause) {
      const reason = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
      error = reason.slice(0, MAX_ERROR_TEXT);
    }
    // Cut off by shutdown: no verdict on the receiver; the claim is released at the next start.
    if (this.#abort.signal.aborted) return;
    const attempts = delivery.attempts + 1;
    const decision = decideDelivery(policy, attempts, statusCode);
    const now = Date.now();
    this.#options.observer.delivery(decision.action === 'fail' ? 'failed' : decision.action);
    switch (decision.action) {
      case 'delivered':
        await store.markDelivered(delivery.eventSeq, delivery.target, statusCode!, now);
        return;
      case 'retry':
        log.debug({ target: delivery.target, eventId: delivery.eventId, attempts, error }, 'webhook delivery failed; will retry');
        await store.markRetry(delivery.eventSeq, delivery.target, attempts, now + decision.delayMs, error, statusCode);
        return;
      case 'fail':
        log.warn({ target: delivery.target, eventId: delivery.eventId, attempts, error }, 'webhook delivery gave up; kept as failed');
        await store.markFailed(delivery.eventSeq, delivery.target, attempts, error, statusCode);
        return;
    }
  }
}
