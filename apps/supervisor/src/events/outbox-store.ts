/**
 * The durable outbox: every event envelope, and one delivery row per (event, webhook target).
 * An event is appended before anything is delivered or acknowledged; deliveries move
 * pending → sending → delivered, or back to pending with a later attempt time, or to failed once their
 * attempts are exhausted (kept and listed, redeliverable). Behind an interface, like the session store.
 *
 * Written for several writers (supervisors sharing one database), not only the one SQLite file of today:
 *
 * Claims. `sending` means claimed: the row names its holder (an owner id, see claim-owner.ts) and when the claim
 * expires unless renewed. Due deliveries are claimed when pending and due, or when their claim has expired (the
 * holder died or hangs: taken over, at least once, never lost). Finishing a delivery (delivered, retry, failed)
 * is conditional on still holding its claim, so a holder that lost it cannot overwrite the new holder's outcome.
 *
 * Cursors. SSE resumes on a cursor that the store defines. The guarantee every store gives: once it has handed
 * out a cursor (from `append`, `headCursor`, `cursorOf` or `eventsAfter`), no event can appear later that sorts
 * at or before it; so a reader resuming after a cursor misses nothing. SQLite has one writer at a time and
 * AUTOINCREMENT numbers each event above every earlier one inside the write transaction: rowid order is commit
 * order. A PostgreSQL store cannot use a sequence alone (a transaction that took seq 10 may commit after the
 * one that took 11, and a reader already past 11 would never see 10): it records each event's
 * `pg_current_xact_id()`, orders by (xact id, seq), and its readers hand out only events whose transaction is
 * below `pg_snapshot_xmin(pg_current_snapshot())` (every older transaction has ended, so nothing can still appear
 * behind them), with (xact id, seq) as fixed-width text in the cursor (pg-event-stream.ts). One exception there:
 * `append`'s cursor is its event's final place, but a transaction still running may yet commit an event before
 * it; a reader must not skip by it what it has not read through `eventsAfter`.
 */
import type { Envelope } from './envelope.js';
import type { DeliveryStatus, DeliveryView } from './delivery.js';

export type { DeliveryStatus, DeliveryView } from './delivery.js';

/**
 * A place in the event stream. Opaque, except that the cursors of one store compare in stream order as plain
 * strings (`a < b`), and `STREAM_START` comes before every event of every store.
 */
export type Cursor = string & { readonly __brand: 'EventCursor' };
export const STREAM_START = '' as Cursor;

/** A claim on deliveries: its holder (an owner id) and when it expires unless renewed. */
export interface Claim {
  owner: string;
  untilMs: number;
}

export interface NewEvent {
  envelope: Envelope;
  /** The envelope serialized once: stored, and posted to webhooks as it is. */
  body: string;
  targets: Array<{ url: string; claimed: boolean }>;
}

/** Events a change causes, written in the change's transaction; `claim` holds the deliveries written already claimed. */
export interface CausedEvents {
  events: ReadonlyArray<NewEvent>;
  claim: Claim;
}

export interface AppendedEvent {
  /** The event's key in this store, naming its deliveries; not an order. */
  eventSeq: number;
  cursor: Cursor;
}

export interface StoredEvent {
  /** Where a reader that has seen this event resumes. */
  cursor: Cursor;
  envelope: Envelope;
}

/** One delivery: an event (by its key in the store) to one target. */
export interface DeliveryKey {
  eventSeq: number;
  target: string;
}

export interface DueDelivery extends DeliveryKey {
  attempts: number;
  /** The envelope exactly as stored: the signed webhook body. */
  body: string;
  eventId: string;
  eventType: string;
}

export interface RetryOutcome {
  attempts: number;
  nextAttemptMs: number;
  error: string;
  statusCode: number | null;
}

export interface FailOutcome {
  attempts: number;
  error: string;
  statusCode: number | null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  sessionId?: string;
  limit: number;
}

export interface OutboxStore {
  /**
   * Appends events with their deliveries in one transaction; resolves with each event's key and cursor, in order.
   * A delivery whose target is `claimed` is written already `sending`, held by `claim`: the dispatcher sends it
   * from memory, without a query.
   */
  append(events: ReadonlyArray<NewEvent>, claim: Claim): Promise<AppendedEvent[]>;
  /** Up to `limit` events after `cursor`, in stream order, each with its own cursor. */
  eventsAfter(cursor: Cursor, limit: number): Promise<StoredEvent[]>;
  /** "From now on": a cursor after every event stored so far (pruned ones included). */
  headCursor(): Promise<Cursor>;
  /**
   * Where a reader that last saw `eventId` resumes: right after that event; for an id no longer stored (pruned),
   * after the events stored with older ids (ids are ULIDs: they sort like the events they name).
   */
  cursorOf(eventId: string): Promise<Cursor>;
  /** Targets that have deliveries due now: pending and due, or claimed with an expired claim. */
  dueTargets(nowMs: number): Promise<string[]>;
  /** Claims up to `limit` due deliveries of one target for `claim` (pending or expired → sending), oldest first. */
  claimDue(claim: Claim, nowMs: number, target: string, limit: number): Promise<DueDelivery[]>;
  /**
   * Extends every claim `owner` still holds to `untilMs`; resolves with how many. Claims taken over meanwhile
   * are not its any more and stay as they are.
   */
  renewClaims(owner: string, untilMs: number): Promise<number>;
  /**
   * Records finished deliveries, many in one transaction, each only while `owner` still holds its claim;
   * resolves with how many were recorded (the rest were taken over: their outcome is the new holder's).
   */
  markDelivered(owner: string, deliveries: ReadonlyArray<DeliveryKey & { statusCode: number }>, nowMs: number): Promise<number>;
  /** Back to pending, due at `nextAttemptMs`, if `owner` still holds the claim; resolves with whether it did. */
  markRetry(owner: string, delivery: DeliveryKey, outcome: RetryOutcome): Promise<boolean>;
  /** Kept as failed, if `owner` still holds the claim; resolves with whether it did. */
  markFailed(owner: string, delivery: DeliveryKey, outcome: FailOutcome): Promise<boolean>;
  /**
   * Every claim held by an owner of `node` goes back to pending (at least once); other nodes' claims are theirs
   * until they expire. For when the node has nothing in flight: at start, for what an earlier process of the
   * node left claimed (killed mid-send), instead of waiting for it to expire; at shutdown, for what it claimed
   * and did not finish.
   */
  releaseClaims(node: string): Promise<number>;
  /**
   * When the next delivery comes due, outside `skipTargets`: a pending one's attempt time, or the expiry of a
   * claim held by someone other than `owner` (which `owner` then takes over).
   */
  nextDueMs(skipTargets: readonly string[], owner: string): Promise<number | undefined>;
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

export interface OutboxCounts {
  events: number;
  pending: number;
  failed: number;
}
