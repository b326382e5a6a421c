/**
 * SSE over the store's cursors: a client that resumes while events keep being recorded gets every stored event
 * after its resume point exactly once, in order, across replay pages and the hand-over from replay to live.
 * The outbox is real SQLite whose reads answer a few milliseconds late, as a networked database's do: only then
 * do live events arrive during the replay and overlap its later pages, the case the cursor dedupe is for.
 */
import { SqliteDatabase } from '../src/store/sqlite.js';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { OutboxStore } from '../src/events/outbox-store.js';
import { SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import { createLogger } from '../src/logger.js';
import { SessionLogs } from '../src/session-logs.js';
import type { App } from '../src/types.js';
import { noOwnedProcesses, removeDir, tempDataDir, testConfig } from './helpers.js';
import { openEventStream, type SseClient } from './sse-client.js';

const READ_LATENCY_MS = 5;
let dataDir: string;
let app: App | undefined;
const streams: SseClient[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await app?.close();
  app = undefined;
  await noOwnedProcesses(dataDir);
  removeDir(dataDir);
});

/** The SQLite outbox, its event reads delayed by a timer (the other methods as they are). */
function slowReads(store: SqliteOutboxStore): OutboxStore {
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      const method = value.bind(target) as (...args: unknown[]) => unknown;
      if (key !== 'eventsAfter') return method;
      return async (...args: unknown[]) => {
        await new Promise((resolve) => setTimeout(resolve, READ_LATENCY_MS));
        return method(...args);
      };
    },
  });
}

describe('GET /events on cursors', () => {
  it('replay several pages, then live, while a burst goes on: every event once, in stream order', async () => {
    dataDir = tempDataDir();
    const config = testConfig(dataDir);
    const sessionLogs = new SessionLogs(config.sessionLogRecords);
    const logger = createLogger('debug', sessionLogs, new Writable({ write: (_chunk, _encoding, done) => done() }));
    app = await buildApp({ config, logger, sessionLogs, outbox: slowReads(new SqliteOutboxStore(SqliteDatabase.open(dataDir))) });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const events = app.events;
    const record = (index: number): string => events.record('burst', 'message.received', { index }).id;
    const ids = Array.from({ length: 1600 }, (_, index) => record(index));
    await events.flush();

    // One event a millisecond from before the stream opens until well after its replay began (four pages).
    let stream: SseClient | undefined;
    const burst = (async () => {
      for (let index = 1600, afterFirst = 0; afterFirst < 100; index++) {
        ids.push(record(index));
        if ((stream?.events.length ?? 0) > 0) afterFirst++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await events.flush();
    })();
    stream = await openEventStream(`${base}/events?sessionId=burst`, { 'last-event-id': ids[9]! });
    streams.push(stream);
    await burst;
    await stream.waitFor(ids.length - 10, 20_000);

    const received = stream.events.map((event) => event.id);
    expect(received).toEqual(ids.slice(10));
    const stored = await app.outbox.eventsAfter(await app.outbox.cursorOf(ids[9]!), 10_000);
    expect(stored.map(({ envelope }) => envelope.id)).toEqual(received);
  });
});
