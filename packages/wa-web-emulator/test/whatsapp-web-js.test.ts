/**
 * The real whatsapp-web.js 1.34.7 driving real Chromium against the emulator: every path a session worker
 * relies on. Events are awaited; the only fixed wait is the window in which `ready` must NOT come.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from 'whatsapp-web.js';
import { startEmulator, type Emulator } from '../src/index.js';
import { waitForGroupExit } from './helpers/processes.js';
import { ClientPool, newClient, roundTrip, type WebjsClient } from './helpers/webjs-client.js';

const EVENT_MS = 20_000;
const wait = (client: WebjsClient, event: string): Promise<unknown[]> => once(client, event, { signal: AbortSignal.timeout(EVENT_MS) });

let emulator: Emulator;
const pool = new ClientPool();

beforeAll(async () => {
  emulator = await startEmulator({ ackDelayMs: 100 });
});

afterEach(async () => {
  expect(await pool.cleanup()).toEqual([]);
});

afterAll(async () => {
  await emulator.close();
});

/** A client started on a new (or given) profile, showing its first QR. */
async function clientShowingQr(dataPath = pool.profile(), on: Emulator = emulator): Promise<{ client: WebjsClient; qr: string }> {
  const client = pool.track(newClient(on, dataPath));
  const qr = wait(client, 'qr');
  await client.initialize();
  const [first] = await qr;
  return { client, qr: String(first) };
}

async function readyClient(phone?: string, dataPath = pool.profile()): Promise<{ client: WebjsClient; wid: string; dataPath: string }> {
  const { client, qr } = await clientShowingQr(dataPath);
  const ready = wait(client, 'ready');
  const { wid } = await emulator.scan(qr, phone === undefined ? {} : { phone });
  await ready;
  return { client, wid, dataPath };
}

describe('linking', () => {
  it('qr → scan → authenticated → ready, with the account as client.info.wid', async () => {
    const { client, qr } = await clientShowingQr();
    expect(qr.split(',')).toHaveLength(5);
    expect(emulator.clients()).toContainEqual(expect.objectContaining({ qr, wid: null, state: 'UNPAIRED' }));

    const seen: string[] = [];
    for (const event of ['authenticated', 'ready']) client.on(event, () => seen.push(event));
    const ready = wait(client, 'ready');
    const { wid } = await emulator.scan(qr, { phone: '+1 555 000 1111', pushname: 'Alice' });
    await ready;

    expect(wid).toBe('15550001111@c.us');
    expect(seen).toEqual(['authenticated', 'ready']);
    expect(client.info.wid._serialized).toBe(wid);
    expect(client.info.pushname).toBe('Alice');
    expect(await client.getState()).toBe('CONNECTED');
    expect(emulator.clients()).toContainEqual(expect.objectContaining({ wid, qr: null, state: 'CONNECTED', online: true, attached: true }));
  });

  it('links by the pairing code the client asked for with requestPairingCode(phone)', async () => {
    const { client } = await clientShowingQr();
    const code = await client.requestPairingCode('15550003333');
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    expect(emulator.clients()).toContainEqual(expect.objectContaining({ pairingCode: code, qr: null }));

    const ready = wait(client, 'ready');
    const { wid } = await emulator.enterPairingCode(code.toLowerCase().replace(/^(.{4})/, '$1-'));
    await ready;
    expect(wid).toBe('15550003333@c.us');
    expect(client.info.wid._serialized).toBe(wid);
  });

  it('links by code with the pairWithPhoneNumber option (a code event, no QR)', async () => {
    const client = pool.track(newClient(emulator, pool.profile(), { pairWithPhoneNumber: { phoneNumber: '15550007777' } }));
    let qrs = 0;
    client.on('qr', () => qrs++);
    const codeEvent = wait(client, 'code');
    await client.initialize();
    const [code] = await codeEvent;
    const ready = wait(client, 'ready');
    await emulator.enterPairingCode(String(code));
    await ready;
    expect(client.info.wid._serialized).toBe('15550007777@c.us');
    expect(qrs).toBe(0);
  });

  it('refreshes the QR every qrRefreshMs, and only the QR shown now can be scanned', async () => {
    const quick = await startEmulator({ qrRefreshMs: 700 });
    try {
      const { client, qr: first } = await clientShowingQr(pool.profile(), quick);
      const [second] = await wait(client, 'qr');
      expect(second).not.toBe(first);
      expect(String(second).split(',').slice(1)).toEqual(first.split(',').slice(1)); // same device keys, new ref
      await expect(quick.scan(first)).rejects.toMatchObject({ code: 'WAE_QR_NOT_SHOWN' });

      const current = quick.clients()[0]?.qr;
      expect(current).toEqual(expect.any(String));
      const ready = wait(client, 'ready');
      await quick.scan(String(current));
      await ready;
    } finally {
      await pool.cleanup();
      await quick.close();
    }
  });

  it('a restarted client on the same LocalAuth profile is ready again without a QR', async () => {
    const { client, wid, dataPath } = await readyClient();
    await client.destroy();

    const again = pool.track(newClient(emulator, dataPath));
    const qrs: unknown[] = [];
    again.on('qr', (qr) => qrs.push(qr));
    const authenticated = wait(again, 'authenticated');
    const ready = wait(again, 'ready');
    await again.initialize();
    await authenticated;
    await ready;
    expect(qrs).toEqual([]);
    expect(again.info.wid._serialized).toBe(wid);
  });

  it('keeps the pairing when Chromium is killed right after ready (it is in IndexedDB)', async () => {
    const { client, wid, dataPath } = await readyClient();
    const pid = client.pupBrowser?.process()?.pid;
    expect(pid).toEqual(expect.any(Number));
    process.kill(-Number(pid), 'SIGKILL');
    expect(await waitForGroupExit(Number(pid))).toEqual([]);

    const again = pool.track(newClient(emulator, dataPath));
    let qrs = 0;
    again.on('qr', () => qrs++);
    const ready = wait(again, 'ready');
    await again.initialize();
    await ready;
    expect(qrs).toBe(0);
    expect(again.info.wid._serialized).toBe(wid);
  });

  it('withholdReady: authenticated comes, ready does not', async () => {
    emulator.setBehavior({ withholdReady: true });
    try {
      const { client, qr } = await clientShowingQr();
      let ready = false;
      client.on('ready', () => (ready = true));
      const authenticated = wait(client, 'authenticated');
      await emulator.scan(qr);
      await authenticated;
      // the one fixed wait: the absence of an event
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(ready).toBe(false);
    } finally {
      emulator.setBehavior({ withholdReady: false });
    }
  });
});

describe('messages', () => {
  it('an inbound message becomes a message event', async () => {
    const { client, wid } = await readyClient();
    const message = wait(client, 'message');
    const { id } = await emulator.deliver(wid, { from: '15550002222@c.us', body: 'hello there' });
    const [received] = (await message) as [Message];
    expect(received).toMatchObject({ from: '15550002222@c.us', to: wid, body: 'hello there', type: 'chat', hasMedia: false, fromMe: false });
    expect(received.id._serialized).toBe(id);
    expect(received.timestamp).toBeCloseTo(Date.now() / 1000, -1);
  });

  it('sendMessage reaches the emulator, and acks 1, 2, 3 come back as message_ack', async () => {
    const { client, wid } = await readyClient();
    const acks: number[] = [];
    const thirdAck = new Promise<void>((resolve) =>
      client.on('message_ack', (_message, ack: number) => {
        acks.push(ack);
        if (ack === 3) resolve();
      }),
    );
    const sent = await client.sendMessage('15550002222@c.us', 'hi');
    expect(sent.id._serialized).toMatch(/^true_15550002222@c\.us_3EB0/);

    const record = await emulator.waitForSent((entry) => entry.id === sent.id._serialized);
    expect(record).toMatchObject({ from: wid, to: '15550002222@c.us', body: 'hi' });
    expect(record.timestamp).toBe(sent.timestamp);
    await thirdAck;
    expect(acks).toEqual([1, 2, 3]);
  });

  it('a reply quotes the message it answers', async () => {
    const { client, wid } = await readyClient();
    const message = wait(client, 'message');
    await emulator.deliver(wid, { from: '15550004444@c.us', body: 'ping' });
    const [received] = (await message) as [Message];
    const reply = await received.reply('pong');
    expect(reply.hasQuotedMsg).toBe(true);
    await emulator.waitForSent((entry) => entry.body === 'pong' && entry.to === '15550004444@c.us');
    const contact = await received.getContact();
    expect(contact.number).toBe('15550004444');
  });

  it('serves several clients at once, each by its own account', async () => {
    const first = await readyClient('15550005555');
    const second = await readyClient('15550006666');
    const got: Record<string, string[]> = { [first.wid]: [], [second.wid]: [] };
    first.client.on('message', (message: Message) => got[first.wid]?.push(message.body));
    second.client.on('message', (message: Message) => got[second.wid]?.push(message.body));
    const both = Promise.all([wait(first.client, 'message'), wait(second.client, 'message')]);
    await emulator.deliver(first.wid, { from: '15550002222@c.us', body: 'for the first' });
    await emulator.deliver(second.wid, { from: '15550002222@c.us', body: 'for the second' });
    await both;
    expect(got).toEqual({ [first.wid]: ['for the first'], [second.wid]: ['for the second'] });
  });
});

describe('connection', () => {
  it('a dropped connection shows as change_state away from CONNECTED and back', async () => {
    const { client, wid } = await readyClient();
    const states: string[] = [];
    const back = new Promise<void>((resolve) =>
      client.on('change_state', (state: string) => {
        states.push(state);
        if (state === 'CONNECTED') resolve();
      }),
    );
    let disconnected = false;
    client.on('disconnected', () => (disconnected = true));

    await emulator.dropConnection(wid, 500);
    await expect(emulator.deliver(wid, { from: '15550002222@c.us', body: 'lost' })).rejects.toMatchObject({ code: 'WAE_NOT_CONNECTED' });
    await back;
    expect(states).toEqual(['TIMEOUT', 'OPENING', 'CONNECTED']);
    expect(disconnected).toBe(false);

    const message = wait(client, 'message');
    await emulator.deliver(wid, { from: '15550002222@c.us', body: 'back again' });
    await message;
  });

  it('a logout from the phone ends in disconnected LOGOUT, then a new QR', async () => {
    const { client, wid } = await readyClient();
    const [old] = emulator.clients();
    const disconnected = wait(client, 'disconnected');
    const nextQr = wait(client, 'qr');
    await emulator.logout(wid);
    expect(await disconnected).toEqual(['LOGOUT']);
    await nextQr;
    // whatsapp-web.js re-injects into the reloaded page on its own; let it finish before the client is destroyed
    const fresh = await emulator.waitForClient((view) => view.clientId !== old?.clientId && view.attached && view.qr !== null);
    expect(fresh.wid).toBeNull();
    await roundTrip(client);
    await expect(emulator.deliver(wid, { from: '15550002222@c.us', body: 'gone' })).rejects.toMatchObject({ code: 'WAE_NOT_CONNECTED' });
  });

  it('client.logout() unlinks the device on the emulator too', async () => {
    const { client, wid, dataPath } = await readyClient();
    await client.logout();
    // the page tells the emulator before logout() returns
    expect(emulator.clients().filter((view) => view.wid === wid)).toEqual([]);
    expect(existsSync(join(dataPath, 'session'))).toBe(false);
    await expect(emulator.logout(wid)).rejects.toMatchObject({ code: 'WAE_NO_DEVICE' });
  });
});

describe('the emulated page', () => {
  it('records the modules whatsapp-web.js asked for that it lacks', async () => {
    const { client } = await readyClient();
    const sent = await client.sendMessage('15550002222@c.us', 'so that the send path asks for its modules too');
    // the page reports in order: once the send is in, so is every module asked for before it
    await emulator.waitForSent((record) => record.id === sent.id._serialized);
    const missing = emulator.unimplementedModules();
    console.info('modules whatsapp-web.js asked for and the emulator lacks:', missing);
    expect(Array.isArray(missing)).toBe(true);
    // whatsapp-web.js tests `WAWebCallCollection` for undefined: it must stay missing
    expect(missing).toContain('WAWebCallCollection');
  });
});
