/**
 * One Server-Sent Events client: first every stored event after its resume point, then live events, with no
 * gap and no duplicate between the two (live events that arrive during the replay wait, and anything at or
 * before the last cursor sent is skipped: replayed and live events carry the store's cursors alike). Only `id:`
 * and `data:` lines, so `EventSource.onmessage` sees them all.
 *
 * Live events come from the feed (event-feed.ts): with one writer, as events with their cursors; with several,
 * as a signal to read the store after the last cursor sent. The cursor rules are the same for both.
 */
import type { ServerResponse } from 'node:http';
import type { EventType } from './envelope.js';
import type { EventFeed } from './event-feed.js';
import type { Cursor, OutboxStore, StoredEvent } from './outbox-store.js';

export interface EventFilter {
  sessionId?: string;
  types?: ReadonlySet<EventType>;
}

const REPLAY_PAGE = 500;
const KEEP_ALIVE_MS = 15_000;
/** A client this far behind is cut off; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export async function streamEvents(
  raw: ServerResponse,
  source: { store: OutboxStore; feed: EventFeed },
  filter: EventFilter,
  after: Cursor,
  /** Headers the app already set on the reply (CORS, for an EventSource on another allowed origin). */
  headers: Record<string, number | string | string[] | undefined> = {},
): Promise<void> {
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': stream open\n\n');

  let last = after;
  let replaying = true;
  let closed = false;
  const waiting: StoredEvent[] = [];

  const send = ({ cursor, envelope }: StoredEvent): void => {
    if (closed || cursor <= last) return;
    last = cursor;
    if (filter.sessionId !== undefined && envelope.sessionId !== filter.sessionId) return;
    if (filter.types !== undefined && !filter.types.has(envelope.type)) return;
    raw.write(`id: ${envelope.id}\ndata: ${JSON.stringify(envelope)}\n\n`);
    if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
  };
  /** Reads every event after the last one sent; `pull` runs one read at a time and again if signalled meanwhile. */
  const readOn = async (): Promise<void> => {
    for (;;) {
      // Filtered-out events still advance `last` (send() moves it before filtering): the next page starts after them.
      const page = await source.store.eventsAfter(last, REPLAY_PAGE);
      for (const event of page) send(event);
      if (page.length < REPLAY_PAGE || closed) return;
    }
  };
  let reading: Promise<void> | undefined;
  let again = false;
  const pull = (): void => {
    if (closed) return;
    if (reading !== undefined) {
      again = true;
      return;
    }
    reading = (async () => {
      do {
        again = false;
        await readOn();
      } while (again && !closed);
    })()
      .catch(() => {
        raw.destroy();
      })
      .finally(() => {
        reading = undefined;
      });
  };

  const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  keepAlive.unref();
  let unsubscribe = (): void => {};
  raw.on('close', () => {
    closed = true;
    clearInterval(keepAlive);
    unsubscribe();
  });

  if (source.feed.kind === 'signal') {
    unsubscribe = source.feed.subscribe(pull);
    pull();
    await reading;
    return;
  }
  // Listen before reading the backlog, so nothing recorded meanwhile falls between the two.
  unsubscribe = source.feed.subscribe((events) => {
    if (replaying) waiting.push(...events);
    else for (const event of events) send(event);
  });
  await readOn();
  replaying = false;
  for (const event of waiting.splice(0)) send(event);
}
