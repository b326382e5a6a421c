/**
 * The durable outbox: every event envelope, and one delivery row per (event, webhook target).
 * An event is appended before anything is delivered or acknowledged; deliveries move
 * pending → sending → delivered, or back to pending with a later attempt time, or to failed once their
 * attempts are exhausted (kept and listed, redeliverable). Behind an interface, like the session store.
 */
import type { Envelope } from './envelope.js';
import type { DeliveryStatus, DeliveryView } from './delivery.js';

export type { DeliveryStatus, DeliveryView } from './delivery.js';

export interface NewEvent {
  envelope: Envelope;
  /** The envelope serialized once: stored, and posted to webhooks as it is. */
  body: string;
  targets: Array<{ url: string; claimed: boolean }>;
}

export interface StoredEvent {
  /** Insertion order; SSE resumes after it. */
  seq: number;
  envelope: Envelope;
}

export interface DueDelivery {
  eventSeq: number;
  target: string;
  attempts: number;
  /** The envelope exactly as stored: the signed webhook body. */
  body: string;
  eventId: string;
  eventType: string;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  sessionId?: string;
  limit: number;
}

export interface OutboxCounts {
  events: number;
  pending: number;
  failed: number;
}

export interface OutboxStore {
  /**
   * Appends events with their deliveries in one transaction; resolves with the events' seqs. A delivery whose
   * target is `claimed` is written already `sending`: the dispatcher sends it from memory, without a query.
   */
  append(events: ReadonlyArray<NewEvent>): Promise<number[]>;
  eventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** Where a client that last saw `eventId` resumes: that event's seq, or the last seq of older ids if it was pruned. */
  resumeAfter(eventId: string): Promise<number>;
  lastSeq(): Promise<number>;
  /** Targets that have deliveries due now. */
  dueTargets(nowMs: number): Promise<string[]>;
  /** Claims up to `limit` due deliveries of one target (pending → sending), oldest first. */
  claimDue(nowMs: number, target: string, limit: number): Promise<DueDelivery[]>;
  /** Records finished deliveries, many in one transaction. */
  markDelivered(deliveries: ReadonlyArray<{ eventSeq: number; target: string; statusCode: number }>, nowMs: number): Promise<void>;
  markRetry(eventSeq: number, target: string, attempts: number, nextAttemptMs: number, error: string, statusCode: number | null): Promise<void>;
  markFailed(eventSeq: number, target: string, attempts: number, error: string, statusCode: number | null): Promise<void>;
  /** Deliveries claimed by a previous process that died mid-send go back to pending (at-least-once). */
  releaseClaims(): Promise<number>;
  nextDueMs(skipTargets: readonly string[]): Promise<number | undefined>;
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryView[]>;
  /** Failed deliveries (of one event, or all) go back to pending with a fresh attempt count. */
  redeliver(eventId: string | undefined, nowMs: number): Promise<number>;
  /** Drops failed deliveries (of one event, or all): the operator's explicit decision, never automatic. */
  discardFailed(eventId: string | undefined): Promise<number>;
  /**
   * Removes events older than `beforeMs` whose deliveries are all done, and those deliveries. Failed deliveries
   * are kept, whatever their age, until redelivered or discarded (the contract: kept and listed, not dropped).
   */
  prune(beforeMs: number): Promise<number>;
  counts(): Promise<OutboxCounts>;
  close(): Promise<void>;
}
