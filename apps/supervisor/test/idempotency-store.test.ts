/**
 * The idempotency-key contract, one body run on both stores: a key is taken once, pending until its result,
 * `sent` only together with the events the send caused, freed when the send certainly did not happen.
 */
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/events/outbox-store.js';
import { STREAM_START } from '../src/events/outbox-store.js';
import { STORE_BACKENDS, useStorage } from './store-backends.js';

const claim = { owner: 'local/test', untilMs: Date.now() + 60_000 };
const result = { id: 'm1', to: '15550002222@c.us', timestamp: 1, type: 'chat' };

function sent(id: string, sessionId = 'tx'): NewEvent {
  const envelope = { id, type: 'message.sent' as const, sessionId, timestamp: new Date().toISOString(), data: { id: 'm1' } };
  return { envelope, body: JSON.stringify(envelope), targets: [{ url: 'http://127.0.0.1:9/hook', claimed: true }] };
}

describe.each(STORE_BACKENDS)('the %s idempotency store', (_name, backend) => {
  const storage = useStorage(backend);

  it('take a key once, keep it pending until its result, then answer the result, on every node', async () => {
    const { keys } = await storage.node();
    const { keys: other } = await storage.node();
    expect(await keys.get('s1', 'k')).toBeUndefined();
    expect(await keys.begin('s1', 'k', 'hash-1')).toBe(true);
    expect(await other.begin('s1', 'k', 'hash-2')).toBe(false);
    // Keys are per session.
    expect(await other.begin('s2', 'k', 'hash-2')).toBe(true);
    expect(await other.get('s1', 'k')).toEqual({ state: 'pending', requestHash: 'hash-1' });

    expect(await keys.complete('s1', 'k', result)).toEqual([]);
    expect(await other.get('s1', 'k')).toEqual({ state: 'sent', requestHash: 'hash-1', result });
    // A sent key stays taken: abandon frees only a pending one.
    await other.abandon('s1', 'k');
    expect(await keys.get('s1', 'k')).toEqual({ state: 'sent', requestHash: 'hash-1', result });
    await other.abandon('s2', 'k');
    expect(await keys.get('s2', 'k')).toBeUndefined();
    expect(await keys.begin('s2', 'k', 'hash-3')).toBe(true);
  });

  it('forget the keys of a deleted session, and prune old keys', async () => {
    const { keys } = await storage.node();
    await keys.begin('gone', 'k1', 'h');
    await keys.begin('gone', 'k2', 'h');
    await keys.begin('kept', 'k1', 'h');
    await keys.forgetSession('gone');
    expect(await keys.get('gone', 'k1')).toBeUndefined();
    expect(await keys.get('kept', 'k1')).toEqual({ state: 'pending', requestHash: 'h' });
    expect(await keys.prune(Date.now() - 60_000)).toBe(0);
    expect(await keys.prune(Date.now() + 1)).toBe(1);
    expect(await keys.get('kept', 'k1')).toBeUndefined();
  });

  it('commit a result with its message.sent: the key is sent with its event, or neither is written', async () => {
    const { keys, outbox } = await storage.node();
    expect(await keys.begin('tx', 'k-1', 'h')).toBe(true);
    expect(await keys.begin('tx', 'k-2', 'h')).toBe(true);

    const appended = await keys.complete('tx', 'k-1', result, { events: [sent('01KF0000000000000000000011')], claim });
    expect(appended).toHaveLength(1);
    expect(await keys.get('tx', 'k-1')).toEqual({ state: 'sent', requestHash: 'h', result });
    // Written claimed, as the dispatcher asked: it sends the delivery from memory.
    expect(await outbox.listDeliveries({ limit: 10 })).toMatchObject([{ eventId: '01KF0000000000000000000011', status: 'sending' }]);

    // An event id already written fails the append: the key stays pending, so nothing claims it was recorded.
    await expect(
      keys.complete('tx', 'k-2', result, { events: [sent('01KF0000000000000000000012'), sent('01KF0000000000000000000011')], claim }),
    ).rejects.toThrow(/UNIQUE|duplicate key/);
    expect(await keys.get('tx', 'k-2')).toEqual({ state: 'pending', requestHash: 'h' });
    const stored = await outbox.eventsAfter(STREAM_START, 100);
    expect(stored.map((entry) => entry.envelope.id)).toEqual(['01KF0000000000000000000011']);
    expect(stored[0]!.cursor).toBe(appended[0]!.cursor);
    expect(await outbox.counts()).toEqual({ events: 1, pending: 1, failed: 0 });
  });
});
