/**
 * The dispatcher among several claimants of one outbox, against a real HTTP receiver: what a dead node left
 * claimed is delivered once its claims expire, what an earlier life of this node left is delivered at once, a
 * live node's claims are left alone; and at shutdown this node hands back whatever it had not finished.
 */
import { SqliteDatabase } from '../src/store/sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { newClaimOwner, type ClaimOwner } from '../src/events/claim-owner.js';
import type { Envelope } from '../src/events/envelope.js';
import { createEventIds } from '../src/events/event-id.js';
import type { OutboxStore } from '../src/events/outbox-store.js';
import { SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import { WebhookDispatcher } from '../src/events/webhook-dispatcher.js';
import { removeDir, tempDataDir } from './helpers.js';
import { startReceiver, type Mode, type Receiver } from './webhook-receiver.js';

let dataDir: string;
const stores: OutboxStore[] = [];
const dispatchers: WebhookDispatcher[] = [];
let receiver: Receiver | undefined;
const nextId = createEventIds();

beforeEach(() => {
  dataDir = tempDataDir();
});
afterEach(async () => {
  for (const dispatcher of dispatchers.splice(0)) await dispatcher.close();
  for (const store of stores.splice(0)) await store.close();
  await receiver?.close();
  removeDir(dataDir);
});

function open(): OutboxStore {
  const store = new SqliteOutboxStore(SqliteDatabase.open(dataDir));
  stores.push(store);
  return store;
}

async function hook(mode: Mode = 'ok'): Promise<Receiver> {
  receiver = await startReceiver(0, mode);
  return receiver;
}

/** Appends one event whose delivery to `target` is already claimed by `owner` until `untilMs`; resolves with its id. */
async function claimedBy(store: OutboxStore, target: string, owner: ClaimOwner, untilMs: number): Promise<string> {
  const envelope: Envelope = { id: nextId(), type: 'message.received', sessionId: 's', timestamp: new Date().toISOString(), data: {} };
  await store.append([{ envelope, body: JSON.stringify(envelope), targets: [{ url: target, claimed: true }] }], { owner: owner.id, untilMs });
  return envelope.id;
}

function dispatcher(store: OutboxStore, owner: ClaimOwner, concurrency = 8): WebhookDispatcher {
  const started = new WebhookDispatcher({
    store,
    owner,
    secret: undefined,
    policy: { baseDelayMs: 50, maxDelayMs: 100, jitter: 0, maxAttempts: 5 },
    timeoutMs: 30_000,
    concurrency,
    log: pino({ level: 'silent' }),
    observer: { delivery: () => undefined },
  });
  dispatchers.push(started);
  return started;
}

describe('webhook delivery across claimants', () => {
  it('take over a dead node\'s claims when they expire and an earlier life\'s at once, and leave a live node\'s alone', async () => {
    const receiving = await hook();
    const others = open();
    const start = Date.now();
    const dead = await claimedBy(others, receiving.url, newClaimOwner('node-a'), start + 3000);
    const earlierLife = await claimedBy(others, receiving.url, newClaimOwner('local'), start + 600_000);
    const live = await claimedBy(others, receiving.url, newClaimOwner('node-c'), start + 600_000);

    const store = open();
    const sending = dispatcher(store, newClaimOwner('local'));
    await sending.start();
    await receiving.waitFor(() => receiving.ids().has(earlierLife), 5000);
    expect(Date.now() - start).toBeLessThan(3000);
    expect(receiving.ids().has(dead)).toBe(false);

    // No kick from anyone: the dispatcher wakes by itself when the dead node's claim expires.
    await receiving.waitFor(() => receiving.ids().has(dead), 10_000);
    expect(receiving.received.find((entry) => entry.envelope.id === dead)!.at).toBeGreaterThanOrEqual(start + 3000);
    // Closing records what was finished; it hands back this node's claims only.
    await sending.close();
    const statuses = Object.fromEntries((await store.listDeliveries({ limit: 10 })).map((delivery) => [delivery.eventId, delivery.status]));
    expect(statuses).toEqual({ [dead]: 'delivered', [earlierLife]: 'delivered', [live]: 'sending' });
    expect(receiving.ids().has(live)).toBe(false);
  });

  it('hand back at shutdown the deliveries it claimed and did not finish, and only those', async () => {
    const hung = await hook('hang');
    const store = open();
    const other = await claimedBy(store, hung.url, newClaimOwner('node-c'), Date.now() + 600_000);
    const me = newClaimOwner('local');
    const sending = dispatcher(store, me, 1);
    await sending.start();
    // Written claimed, the way the recorder's fast path does it: one goes out (and hangs), two wait in the lane.
    const mine = [];
    for (let index = 0; index < 3; index++) {
      expect(sending.reserve(hung.url)).toBe(true);
      const envelope: Envelope = { id: nextId(), type: 'message.received', sessionId: 's', timestamp: new Date().toISOString(), data: {} };
      const [appended] = await store.append([{ envelope, body: JSON.stringify(envelope), targets: [{ url: hung.url, claimed: true }] }], sending.claim());
      sending.accept([{ eventSeq: appended!.eventSeq, target: hung.url, attempts: 0, body: JSON.stringify(envelope), eventId: envelope.id, eventType: envelope.type }]);
      mine.push(envelope.id);
    }
    expect((await store.listDeliveries({ status: 'sending', limit: 10 })).map((delivery) => delivery.eventId).sort()).toEqual([...mine, other].sort());

    await sending.close();
    expect((await store.listDeliveries({ status: 'pending', limit: 10 })).map((delivery) => delivery.eventId).sort()).toEqual([...mine].sort());
    expect((await store.listDeliveries({ status: 'sending', limit: 10 })).map((delivery) => delivery.eventId)).toEqual([other]);
  });
});
