/**
 * The dispatcher's lanes against a real outbox and a real HTTP receiver: fresh deliveries handed over from
 * memory go out without asking the outbox for more (its due-scan reads every claimed row), and the ones a lane
 * had no room for, written pending, are still found and delivered.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClaimOwner } from '../src/events/claim-owner.js';
import type { Envelope } from '../src/events/envelope.js';
import { createEventIds } from '../src/events/event-id.js';
import type { OutboxStore } from '../src/events/outbox-store.js';
import { SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import { WebhookDispatcher } from '../src/events/webhook-dispatcher.js';
import { WebhookClient } from '../src/events/webhook-post.js';
import { BlockedAddressError } from '../src/net/address-guard.js';
import { SqliteDatabase } from '../src/store/sqlite.js';
import { removeDir, tempDataDir } from './helpers.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

let dataDir: string;
let store: OutboxStore | undefined;
let sending: WebhookDispatcher | undefined;
let receiver: Receiver | undefined;
const nextId = createEventIds();

beforeEach(() => {
  dataDir = tempDataDir();
});
afterEach(async () => {
  await sending?.close();
  await store?.close();
  await receiver?.close();
  removeDir(dataDir);
});

/** The SQLite outbox, counting the dispatcher's scans for due deliveries. */
function countingStore(): { store: OutboxStore; scans: () => number } {
  const inner = new SqliteOutboxStore(SqliteDatabase.open(dataDir));
  let scans = 0;
  const counted = Object.create(inner) as OutboxStore;
  counted.dueTargets = (nowMs) => {
    scans += 1;
    return inner.dueTargets(nowMs);
  };
  for (const name of ['append', 'claimDue', 'renewClaims', 'markDelivered', 'markRetry', 'markFailed', 'releaseClaims', 'nextDueMs', 'listDeliveries', 'close'] as const) {
    (counted as unknown as Record<string, unknown>)[name] = (inner[name] as (...args: unknown[]) => unknown).bind(inner);
  }
  return { store: counted, scans: () => scans };
}

const envelope = (): Envelope => ({ id: nextId(), type: 'message.received', sessionId: 's', timestamp: new Date().toISOString(), data: {} });

describe('webhook lanes', () => {
  it('send fresh deliveries from memory without scanning the outbox after each one', async () => {
    receiver = await startReceiver();
    const counting = countingStore();
    store = counting.store;
    sending = new WebhookDispatcher({
      store,
      owner: newClaimOwner('local'),
      secret: undefined,
      policy: { baseDelayMs: 50, maxDelayMs: 100, jitter: 0, maxAttempts: 5 },
      timeoutMs: 30_000,
      concurrency: 4,
      log: pino({ level: 'silent' }),
      observer: { delivery: () => undefined },
    });
    await sending.start();
    const ids: string[] = [];
    for (let round = 0; round < 30; round++) {
      const batch = Array.from({ length: 10 }, () => {
        expect(sending!.reserve(receiver!.url)).toBe(true);
        const event = envelope();
        return { envelope: event, body: JSON.stringify(event), targets: [{ url: receiver!.url, claimed: true }] };
      });
      const appended = await store.append(batch, sending.claim());
      sending.accept(batch.map(({ envelope: event, body }, index) => ({ eventSeq: appended[index]!.eventSeq, target: receiver!.url, attempts: 0, body, eventId: event.id, eventType: event.type })));
      ids.push(...batch.map(({ envelope: event }) => event.id));
    }
    await receiver.waitFor(() => ids.every((id) => receiver!.ids().has(id)));
    // One scan at start and one when the lane first ran low (it could not know the outbox had nothing for it);
    // before, one per finished request: 300 scans of every claimed row.
    expect(counting.scans()).toBeLessThanOrEqual(4);
    await sending.close();
    sending = undefined;
    expect((await store.listDeliveries({ status: 'delivered', limit: 1000 })).length).toBe(300);
  });

  it('post through an agent per target: guarded for targets API clients registered, not for trusted ones', async () => {
    receiver = await startReceiver();
    const local = receiver.url.replace('127.0.0.1', 'localhost');
    const trusted = `${local}/trusted`;
    const client = new WebhookClient(2, { trusted: new Set([trusted]) });
    const body = JSON.stringify(envelope());
    try {
      expect((await client.post(trusted, { 'content-type': 'application/json' }, body, 5000)).statusCode).toBe(204);
      await expect(client.post(`${local}/registered`, { 'content-type': 'application/json' }, body, 5000)).rejects.toBeInstanceOf(BlockedAddressError);
    } finally {
      client.close();
    }
    const open = new WebhookClient(2);
    try {
      expect((await open.post(`${local}/registered`, { 'content-type': 'application/json' }, body, 5000)).statusCode).toBe(204);
    } finally {
      open.close();
    }
  });
});
