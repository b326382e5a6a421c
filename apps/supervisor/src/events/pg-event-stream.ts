/**
 * Reading the PostgreSQL event stream, for SSE: what `eventsAfter`, `headCursor` and `cursorOf` hand out, so
 * that no event can appear later at or before a cursor once it is handed out (outbox-store.ts).
 *
 * The stream is ordered by (xact, seq) (pg-events.ts). The horizon is `pg_snapshot_xmin(pg_current_snapshot())`
 * of the reading statement: the oldest transaction id still running, or the next one to be assigned when none is.
 * Every transaction below it has ended (committed, and visible to the statement, or aborted), and every
 * transaction that has not ended or has not begun yet has an id at or above it. So:
 *   - an event whose xact is below the horizon is settled: nothing can appear any more at or before its cursor;
 *   - (horizon, 0) is a cursor nothing can appear at or before later either (seq starts at 1), and it is after
 *     every settled event.
 * Events at or above the horizon, committed or not, are held back until the transactions before them end: a
 * reader sees them a little later, never out of order, never not at all.
 *
 * The cost: a transaction that has written anything (in any database of the server: transaction ids are the
 * server's) and stays open holds every reader back until it ends. Read-only transactions have no id and hold
 * nothing back.
 */
import type { Queryable } from '../store/postgres.js';
import type { Envelope } from './envelope.js';
import type { Cursor, StoredEvent } from './outbox-store.js';
import { parsePgCursor, pgCursor } from './pg-events.js';

const HORIZON = 'pg_snapshot_xmin(pg_current_snapshot())';

/** Settled events after `cursor`, in stream order. */
export async function pgEventsAfter(client: Queryable, cursor: Cursor, limit: number): Promise<StoredEvent[]> {
  const { xact, seq } = parsePgCursor(cursor);
  // Output columns renamed: ORDER BY would otherwise sort by the text casts, where '9' > '10'.
  const { rows } = await client.query<{ at_xact: string; at_seq: string; envelope: string }>(
    `SELECT xact::text AS at_xact, seq::text AS at_seq, envelope FROM events
      WHERE (xact, seq) > ($1::xid8, $2::bigint) AND xact < ${HORIZON}
      ORDER BY events.xact, events.seq LIMIT $3`,
    [xact, seq, limit],
  );
  return rows.map((row) => ({ cursor: pgCursor(row.at_xact, row.at_seq), envelope: JSON.parse(row.envelope) as Envelope }));
}

/**
 * (horizon, 0): after every settled event, pruned ones included. Events that committed behind a transaction
 * still running come after it, so a reader starting here may see a few events that were already stored when
 * it asked: the price of never missing one that commits later.
 */
export async function pgHeadCursor(client: Queryable): Promise<Cursor> {
  const { rows } = await client.query<{ horizon: string }>(`SELECT ${HORIZON}::text AS horizon`);
  return pgCursor(rows[0]!.horizon, 0);
}

/**
 * Right after `eventId`, or for an id no longer stored, after the stored event with the greatest older id (ids
 * are ULIDs, they sort like the events: one index lookup, where the greatest cursor of all older ids would read
 * them all); before everything when there is none. Never past the horizon: an event the reader saw that is not
 * settled yet (SSE's live path hands out events as they commit) resumes at (horizon, 0), so what may still
 * commit behind it is not skipped; the reader sees that event again.
 */
export async function pgCursorOf(client: Queryable, eventId: string): Promise<Cursor> {
  const { rows } = await client.query<{ horizon: string; at_xact: string | null; at_seq: string | null }>(
    `SELECT h.horizon::text AS horizon, e.xact::text AS at_xact, e.seq::text AS at_seq
       FROM (SELECT ${HORIZON} AS horizon) h
       LEFT JOIN LATERAL (SELECT xact, seq FROM events WHERE id <= $1 ORDER BY id DESC LIMIT 1) e ON true`,
    [eventId],
  );
  const { horizon, at_xact: xact, at_seq: seq } = rows[0]!;
  if (xact === null || seq === null) return pgCursor('0', 0);
  return BigInt(xact) < BigInt(horizon) ? pgCursor(xact, seq) : pgCursor(horizon, 0);
}
