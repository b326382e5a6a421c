/**
 * Appending events to the PostgreSQL outbox inside the caller's transaction (the outbox's own appends, and the
 * events a session change or a send causes, committed with it), and the cursor of the stream.
 *
 * Order. A sequence alone is not an order readers can resume on: a transaction that drew seq 10 may commit
 * after one that drew 11, and a reader already past 11 would never see 10. Each event records the id of the
 * transaction that wrote it (`pg_current_xact_id()`); readers order by (xact, seq) and are handed only events
 * whose transaction is older than every transaction still running (`pg_snapshot_xmin`), so nothing can later
 * appear behind a cursor already handed out. The cursor is both numbers as fixed-width text, so cursors
 * compare as strings in stream order, as outbox-store.ts requires.
 */
import type { Queryable } from '../store/postgres.js';
import type { AppendedEvent, Claim, Cursor, NewEvent } from './outbox-store.js';

const DIGITS = 20;

export const pgCursor = (xact: string | bigint, seq: string | number | bigint): Cursor =>
  `${String(xact).padStart(DIGITS, '0')}.${String(seq).padStart(DIGITS, '0')}` as Cursor;

/** The (xact, seq) a cursor names; `STREAM_START` is (0, 0). Throws on text that is not a cursor of this store. */
export function parsePgCursor(cursor: Cursor): { xact: string; seq: string } {
  if (cursor === '') return { xact: '0', seq: '0' };
  const match = /^(\d{20})\.(\d{20})$/.exec(cursor);
  if (match === null) throw new TypeError(`not a cursor of this outbox: ${JSON.stringify(cursor)}`);
  return { xact: BigInt(match[1]!).toString(), seq: BigInt(match[2]!).toString() };
}

/** Inserts events and their deliveries with the caller's connection, in its transaction, in one statement each. */
export async function appendPgEvents(client: Queryable, events: ReadonlyArray<NewEvent>, claim: Claim | undefined): Promise<AppendedEvent[]> {
  if (events.length === 0) return [];
  const { rows } = await client.query<{ seq: string; xact: string }>(
    `INSERT INTO events (id, session_id, type, created_ms, envelope)
     SELECT id, s, t, c, b FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS e(id, s, t, c, b, n)
     ORDER BY n
     RETURNING seq, xact`,
    [
      events.map((event) => event.envelope.id),
      events.map((event) => event.envelope.sessionId),
      events.map((event) => event.envelope.type),
      events.map((event) => Date.parse(event.envelope.timestamp)),
      events.map((event) => event.body),
    ],
  );
  // RETURNING follows the insertion order, and the insert follows `ORDER BY n`; seq is drawn in that order.
  const appended = rows
    .map((row) => ({ eventSeq: Number(row.seq), cursor: pgCursor(row.xact, row.seq) }))
    .sort((a, b) => a.eventSeq - b.eventSeq);
  const deliveries = events.flatMap(({ envelope, targets }, index) =>
    targets.map(({ url, claimed }) => ({
      seq: appended[index]!.eventSeq,
      url,
      held: claimed && claim !== undefined,
      created: Date.parse(envelope.timestamp),
    })),
  );
  if (deliveries.length > 0) {
    await client.query(
      `INSERT INTO deliveries (event_seq, target, status, next_attempt_ms, claimed_by, claim_expires_ms)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[])`,
      [
        deliveries.map((delivery) => delivery.seq),
        deliveries.map((delivery) => delivery.url),
        deliveries.map((delivery) => (delivery.held ? 'sending' : 'pending')),
        deliveries.map((delivery) => delivery.created),
        deliveries.map((delivery) => (delivery.held ? claim!.owner : null)),
        deliveries.map((delivery) => (delivery.held ? claim!.untilMs : null)),
      ],
    );
  }
  return appended;
}
