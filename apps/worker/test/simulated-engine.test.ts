import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineSink } from '../src/engine/engine.js';
import { SimulatedEngine, simulatedQr } from '../src/engine/simulated-engine.js';
import { createLog } from '../src/log.js';

/** A sink that records what the engine reported, in order. */
function recordingSink() {
  const calls: Array<[string, unknown]> = [];
  const sink: EngineSink = {
    status: (status, info) => calls.push(['status', { status, ...info }]),
    qr: (qr, attempt) => calls.push(['qr', { qr, attempt }]),
    event: (event) => calls.push(['event', event]),
    progress: (percent, message) => calls.push(['progress', { percent, message }]),
    browser: (browser) => calls.push(['browser', browser]),
    fatal: (error, retry) => calls.push(['fatal', { error, retry }]),
  };
  const statuses = () => calls.filter(([kind]) => kind === 'status').map(([, value]) => (value as { status: string }).status);
  const waitFor = (predicate: (entry: [string, unknown]) => boolean): Promise<[string, unknown]> =>
    new Promise((resolve) => {
      const poll = (): void => {
        const found = calls.find(predicate);
        if (found) resolve(found);
        else setImmediate(poll);
      };
      poll();
    });
  return { sink, calls, statuses, waitFor };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsm-sim-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const engineFor = (sessionId: string, sink: EngineSink, options = {}) =>
  new SimulatedEngine({
    sessionId,
    sessionDir: join(dir, sessionId),
    settings: { engine: 'simulated', options },
    log: createLog('fatal', () => {}),
    sink,
  });

describe('the simulated engine', () => {
  it('shows a QR that is deterministic per session', async () => {
    const first = recordingSink();
    await engineFor('shop', first.sink).start();
    expect(first.calls).toEqual([['qr', { qr: simulatedQr('shop'), attempt: 1 }]]);
    expect(simulatedQr('shop')).toBe(simulatedQr('shop'));
    expect(simulatedQr('shop')).not.toBe(simulatedQr('shop2'));
  });

  it('pairs on scan, remembers it on disk, and comes back ready after a restart', async () => {
    const first = recordingSink();
    const engine = engineFor('shop', first.sink);
    await engine.start();
    const me = await engine.simulator.scan();
    expect(first.statuses()).toEqual(['authenticated', 'ready']);
    const stored = JSON.parse(readFileSync(join(dir, 'shop', 'simulated', 'auth.json'), 'utf8'));
    expect(stored.me).toEqual(me);
    await engine.stop();

    const second = recordingSink();
    await engineFor('shop', second.sink).start();
    expect(second.calls.map(([kind]) => kind)).toEqual(['status', 'status']);
    expect(second.statuses()).toEqual(['authenticated', 'ready']);
    expect(second.calls[1]![1]).toMatchObject({ status: 'ready', me });
  });

  it('links the number of a pairing code', async () => {
    const { sink } = recordingSink();
    const engine = engineFor('pair', sink);
    await engine.start();
    const code = await engine.requestPairingCode('+4915550001111');
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    expect(await engine.requestPairingCode('+4915550001111')).toBe(code);
    expect((await engine.simulator.scan()).id).toBe('4915550001111@c.us');
  });

  it('sends with ids and acks 1, 2, 3; receives inbound; refuses both before ready', async () => {
    const recorder = recordingSink();
    const engine = engineFor('talk', recorder.sink, { ackDelayMs: 1 });
    await engine.start();
    await expect(engine.sendText('1555@c.us', 'too early', {})).rejects.toMatchObject({ code: 'WSM_SESSION_NOT_READY' });
    await expect(engine.simulator.inbound('1555@c.us', { text: 'too early' })).rejects.toMatchObject({ code: 'WSM_SESSION_NOT_READY' });
    await engine.simulator.scan();

    const sent = await engine.sendText('1555@c.us', 'hello', {});
    expect(sent.id).toMatch(/^true_1555@c\.us_3EB0[0-9A-F]{16}$/);
    await recorder.waitFor(([kind, value]) => kind === 'event' && (value as { data: { ack: number } }).data.ack === 3);
    const acks = recorder.calls.filter(([kind]) => kind === 'event').map(([, value]) => value);
    expect(acks).toEqual([1, 2, 3].map((ack) => ({ type: 'message.ack', data: { id: sent.id, ack } })));

    const inbound = await engine.simulator.inbound('4930@c.us', { text: 'hi there' });
    expect(inbound).toMatchObject({ from: '4930@c.us', body: 'hi there', type: 'chat', hasMedia: false, media: null, replyTo: null });
    expect(recorder.calls.at(-1)).toEqual(['event', { type: 'message.received', data: inbound }]);
    await engine.stop();
  });

  it('drops the connection and recovers by itself', async () => {
    const recorder = recordingSink();
    const engine = engineFor('net', recorder.sink, { reconnectDelayMs: 5 });
    await engine.start();
    await engine.simulator.scan();
    await engine.simulator.disconnect();
    await recorder.waitFor(() => recorder.statuses().length === 4);
    expect(recorder.statuses()).toEqual(['authenticated', 'ready', 'disconnected', 'ready']);
    await engine.stop();
  });

  it('forgets the pairing on logout', async () => {
    const { sink } = recordingSink();
    const engine = engineFor('bye', sink);
    await engine.start();
    await engine.simulator.scan();
    await engine.logout();
    expect(existsSync(join(dir, 'bye', 'simulated'))).toBe(false);
    const again = recordingSink();
    await engineFor('bye', again.sink).start();
    expect(again.calls[0]![0]).toBe('qr');
  });
});
