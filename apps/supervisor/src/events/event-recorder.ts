/**
 * Turns what sessions do into the contract's event envelopes and writes them to the outbox, with one delivery
 * per webhook target, before anything is delivered or acknowledged.
 *
 * Envelopes recorded in the same turn of the event loop are written in one transaction (a burst of inbound
 * messages costs one commit, not one per message). `flush()` resolves once everything recorded so far is
 * durable: a route awaits it before answering, so e.g. a 2xx from simulate/inbound means its
 * `message.received` is in the outbox. A failed write is retried in its place in line: later batches wait
 * behind it, and while it fails `flush()` rejects, so nothing is acknowledged that is not stored.
 *
 * A session's status events take the other path (EventPort): prepared here, written by the registry in the
 * same transaction as the change, then announced here.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { WebhookTarget } from '../session/session-record.js';
import type { SessionRunner } from '../session/session-runner.js';
import type { Envelope, EventType } from './envelope.js';
import { createEventIds } from './event-id.js';
import type { EventPort } from './event-port.js';
import type { AppendedEvent, Claim, DueDelivery, NewEvent, OutboxStore, StoredEvent } from './outbox-store.js';

const RETRY_WRITE_MS = 1000;

export interface RecorderOptions {
  store: OutboxStore;
  /** WEBHOOK_URL: every event goes to each of these. */
  globalTargets: readonly string[];
  /** A session's own webhooks, each for all types or the listed ones. */
  sessionTargets: (sessionId: string) => readonly WebhookTarget[];
  /** Whether the dispatcher takes a fresh delivery to `target` from memory (written claimed, then `claimed`). */
  reserve: (target: string) => boolean;
  /** Gives back a reservation whose delivery was never written. */
  unreserve: (target: string) => void;
  /** The dispatcher's claim, as of now, that fresh deliveries to reserved targets are written with. */
  claim: () => Claim;
  log: Logger;
}

interface RecorderEvents {
  /** Events now durable, with the store's cursors: SSE's live path, deduped against its replay by cursor. */
  recorded: [StoredEvent[]];
  /** Fresh deliveries written already claimed, for the dispatcher to send. */
  claimed: [DueDelivery[]];
  /** Deliveries were written pending: the dispatcher's pump has to find them in the outbox. */
  unclaimed: [];
}

export class EventRecorder extends EventEmitter<RecorderEvents> implements EventPort {
  readonly #options: RecorderOptions;
  readonly #nextId = createEventIds();
  #queue: NewEvent[] = [];
  #scheduled = false;
  /** A write is chained and has not started: it will take everything queued by then. */
  #writePending = false;
  #tail: Promise<void> = Promise.resolve();
  #writeError: unknown;

  constructor(options: RecorderOptions) {
    super();
    this.#options = options;
  }

  /** Records what the sessions of `manager` do besides changing status (written with the change): QR codes, messages, acks. */
  attach(manager: Pick<SessionRunner, 'on'>): void {
    manager.on('qr', ({ sessionId, qr, attempt }) => this.record(sessionId, 'session.qr', { qr, attempt }));
    manager.on('event', ({ sessionId, event }) => this.record(sessionId, event.type, { ...event.data }));
  }

  record(sessionId: string, type: EventType, data: Record<string, unknown>): Envelope {
    const event = this.prepare(sessionId, type, data);
    this.#queue.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#write());
    }
    return event.envelope;
  }

  prepare(sessionId: string, type: EventType, data: Record<string, unknown>): NewEvent {
    const envelope: Envelope = { id: this.#nextId(), type, sessionId, timestamp: new Date().toISOString(), data };
    const targets = this.#targets(sessionId, type).map((url) => ({ url, claimed: this.#options.reserve(url) }));
    return { envelope, body: JSON.stringify(envelope), targets };
  }

  claim(): Claim {
    return this.#options.claim();
  }

  announce(batch: readonly NewEvent[], appended: readonly AppendedEvent[]): void {
    if (batch.length === 0) return;
    this.emit(
      'recorded',
      batch.map(({ envelope }, index) => ({ cursor: appended[index]!.cursor, envelope })),
    );
    const claimed = batch.flatMap(({ envelope, body, targets }, index) =>
      targets
        .filter((target) => target.claimed)
        .map((target) => ({
          eventSeq: appended[index]!.eventSeq,
          target: target.url,
          attempts: 0,
          body,
          eventId: envelope.id,
          eventType: envelope.type,
        })),
    );
    if (claimed.length > 0) this.emit('claimed', claimed);
    if (batch.some(({ targets }) => targets.some((target) => !target.claimed))) this.emit('unclaimed');
  }

  discard(batch: readonly NewEvent[]): void {
    for (const { targets } of batch) for (const target of targets) if (target.claimed) this.#options.unreserve(target.url);
  }

  /** Resolves once every envelope recorded so far is in the outbox; rejects while the outbox cannot be written. */
  async flush(): Promise<void> {
    if (this.#writeError !== undefined) throw this.#writeError;
    if (this.#queue.length > 0) this.#write();
    await this.#tail;
  }

  #targets(sessionId: string, type: EventType): string[] {
    const own = this.#options
      .sessionTargets(sessionId)
      .filter((target) => target.events === undefined || target.events.includes(type))
      .map((target) => target.url);
    return [...new Set([...this.#options.globalTargets, ...own])];
  }

  /**
   * Chains one write of whatever is queued when it starts (not when it was asked for): while a write is in
   * flight, every event recorded meanwhile, and every flush asked for, joins the next one. One transaction for
   * many events (a group commit), instead of one each behind the other.
   */
  #write(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0 || this.#writePending) return;
    this.#writePending = true;
    this.#tail = this.#tail.then(async () => {
      this.#writePending = false;
      const batch = this.#queue;
      if (batch.length === 0) return;
      this.#queue = [];
      for (;;) {
        try {
          const appended = await this.#options.store.append(batch, this.#options.claim());
          this.#writeError = undefined;
          this.announce(batch, appended);
          return;
        } catch (error) {
          this.#writeError = error;
          this.#options.log.error({ err: error, events: batch.length }, 'could not write events to the outbox; retrying');
          await new Promise((resolve) => setTimeout(resolve, RETRY_WRITE_MS));
        }
      }
    });
  }
}
