/**
 * One paired device, connected from one place at a time: the real whatsapp-web.js on real Chromium, restored
 * from a saved LocalAuth profile (the way a restarted worker restores its session) or from copies of it (the
 * way two workers would if a session ran twice). Copies are made while no browser runs on the profile.
 */
import { once } from 'node:events';
import { cpSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from 'whatsapp-web.js';
import { startEmulator, type Emulator } from '../src/index.js';
import { waitForGroupExit } from './helpers/processes.js';
import { ClientPool, newClient, type ClientOptions, type WebjsClient } from './helpers/webjs-client.js';

const EVENT_MS = 40_000;
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

const overlapsOf = (wid: string) => emulator.overlaps().filter((overlap) => overlap.wid === wid);
const pageOf = (wid: string) => emulator.clients().filter((view) => view.wid === wid);
// page-side code as strings: the tests are type-checked without the DOM
/** The emulator's id for a client's page, as the page shows it; null if the page is gone. */
const clientIdOf = (client: WebjsClient): Promise<string | null> =>
  (client.pupPage?.evaluate(`document.getElementById('emulator-status')?.textContent ?? ''`) ?? Promise.resolve(''))
    .then((text) => /^client: (\S+)$/m.exec(String(text))?.[1] ?? null)
    .catch(() => null);
/** Resolves once the page of `client` is in socket state `state`; rejects if the page goes away first. */
const pageState = async (client: WebjsClient, state: string): Promise<void> => {
  // async: puppeteer throws at once, not in the promise, on a page already detached
  await client.pupPage?.waitForFunction(`window.require('WAWebSocketModel').Socket.state === ${JSON.stringify(state)}`, { timeout: EVENT_MS });
};

/** A client restored from `dataPath` (no QR), once ready. */
async function restored(dataPath: string, options: ClientOptions = {}): Promise<WebjsClient> {
  const client = pool.track(newClient(emulator, dataPath, options));
  let qrs = 0;
  client.on('qr', () => qrs++);
  const ready = wait(client, 'ready');
  await client.initialize();
  await ready;
  expect(qrs).toBe(0);
  return client;
}

/** A profile paired with the emulator and left by a cleanly stopped client, ready to restore. */
async function pairedProfile(): Promise<{ dataPath: string; wid: string }> {
  const dataPath = pool.profile();
  const client = pool.track(newClient(emulator, dataPath));
  const qr = wait(client, 'qr');
  await client.initialize();
  const ready = wait(client, 'ready');
  const { wid } = await emulator.scan(String((await qr)[0]));
  await ready;
  await client.destroy();
  return { dataPath, wid };
}

/** A copy of a profile no browser runs on. */
function copyOf(dataPath: string): string {
  const copy = pool.profile();
  cpSync(dataPath, copy, { recursive: true });
  return copy;
}

describe('one device, one place at a time', () => {
  it('pair, stop cleanly, restore; kill -9 its Chromium, restore again: no overlap', async () => {
    const { dataPath, wid } = await pairedProfile();
    const again = await restored(dataPath);
    expect(again.info.wid._serialized).toBe(wid);

    const pid = Number(again.pupBrowser?.process()?.pid);
    process.kill(-pid, 'SIGKILL');
    expect(await waitForGroupExit(pid)).toEqual([]);
    await restored(dataPath);

    expect(overlapsOf(wid)).toEqual([]);
  });

  it('a second client restored from a copy while the first runs: one overlap; the first gets CONFLICT and whatsapp-web.js ends it', async () => {
    const { dataPath, wid } = await pairedProfile();
    const copy = copyOf(dataPath);
    const first = await restored(dataPath);
    const [firstPage] = pageOf(wid);
    const states: string[] = [];
    first.on('change_state', (state: string) => states.push(state));
    const disconnected = wait(first, 'disconnected');
    const firstPid = Number(first.pupBrowser?.process()?.pid);

    const second = await restored(copy);
    const overlap = await emulator.waitForOverlap((entry) => entry.wid === wid);
    const secondPage = pageOf(wid).find((view) => view.clientId !== firstPage?.clientId);
    expect(overlap).toEqual({ wid, device: expect.any(String), firstClientId: firstPage?.clientId, secondClientId: secondPage?.clientId, at: expect.any(String) });

    expect(await disconnected).toEqual(['CONFLICT']);
    expect(states).toEqual(['CONFLICT']);
    // whatsapp-web.js destroys a client it reports disconnected: its Chromium exits
    expect(await waitForGroupExit(firstPid)).toEqual([]);

    const message = wait(second, 'message');
    await emulator.deliver(wid, { from: '15550002222@c.us', body: 'to the one still connected' });
    expect(((await message)[0] as Message).body).toBe('to the one still connected');
    expect(overlapsOf(wid)).toHaveLength(1);
  });

  it('a frozen Chromium (SIGSTOP) still holds the device: a copy started meanwhile overlaps; resumed, the first gets CONFLICT', async () => {
    const { dataPath, wid } = await pairedProfile();
    const copy = copyOf(dataPath);
    const first = await restored(dataPath);
    const [firstPage] = pageOf(wid);
    const disconnected = wait(first, 'disconnected');
    const pid = Number(first.pupBrowser?.process()?.pid);
    process.kill(-pid, 'SIGSTOP');
    try {
      await restored(copy);
      // its connection is open though nothing runs behind it: the emulator cannot tell it from a live one
      expect(overlapsOf(wid)).toEqual([expect.objectContaining({ firstClientId: firstPage?.clientId })]);
    } finally {
      process.kill(-pid, 'SIGCONT');
    }
    expect(await disconnected).toEqual(['CONFLICT']);
    expect(overlapsOf(wid)).toHaveLength(1);
  });

  it('two clients restored from copies at the same moment: one overlap, one client left connected', async () => {
    const { dataPath, wid } = await pairedProfile();
    const copy = copyOf(dataPath);
    const overlapSeen = emulator.waitForOverlap((entry) => entry.wid === wid, EVENT_MS);
    const clients = [dataPath, copy].map((path) => pool.track(newClient(emulator, path)));
    const disconnects = clients.map(() => [] as string[]);
    const readyFired = clients.map(() => false);
    clients.forEach((client, i) => {
      client.on('disconnected', (reason: string) => disconnects[i]?.push(reason));
      client.on('ready', () => (readyFired[i] = true));
    });
    // the displaced one's may never come
    const readies = clients.map((client) => wait(client, 'ready').catch(() => undefined));
    const disconnected = clients.map((client) => wait(client, 'disconnected').catch(() => undefined));

    const started = await Promise.allSettled(clients.map((client) => client.initialize()));
    const overlap = await overlapSeen;
    // the displaced page is offline at once; it may be gone already (whatsapp-web.js destroys its client)
    expect(emulator.clients().filter((view) => view.online)).toEqual([expect.objectContaining({ clientId: overlap.secondClientId })]);

    // initialize() returns once the page has left OPENING, so the page shows its client id by then
    const ids = await Promise.all(clients.map(clientIdOf));
    const winner = ids.indexOf(overlap.secondClientId);
    const loser = 1 - winner;
    const winning = clients[winner] ?? expect.fail(`no client shows ${overlap.secondClientId}: ${JSON.stringify(ids)}`);
    const losing = clients[loser] ?? expect.fail('no loser');
    expect(started[winner]?.status).toBe('fulfilled');
    await readies[winner];
    expect(await winning.getState()).toBe('CONNECTED');
    expect(disconnects[winner]).toEqual([]);
    // The loser, by when its page got the conflict: before whatsapp-web.js listened for hasSynced, it never
    // gets ready; before it listened for state changes (it does so after sync, before ready), it gets ready
    // and hears nothing; in both its page stays in CONFLICT. After, it reports disconnected 'CONFLICT' and is
    // destroyed. All three are whatsapp-web.js's own behaviour against a real conflict.
    const outcome = await pageState(losing, 'CONFLICT').then(
      () => 'stays in CONFLICT',
      // the page went away: whatsapp-web.js destroyed the client after reporting it
      () => disconnected[loser]?.then(() => 'disconnected'),
    );
    expect([[], ['CONFLICT']]).toContainEqual(disconnects[loser]);
    console.info('the displaced client of two started at once:', { outcome, ready: readyFired[loser], disconnected: disconnects[loser] });

    const message = wait(winning, 'message');
    await emulator.deliver(wid, { from: '15550002222@c.us', body: 'only one gets this' });
    await message;
    expect(overlapsOf(wid)).toEqual([overlap]);
  });

  it('with takeoverOnConflict the displaced client takes the device back, displacing the other: two overlaps', async () => {
    const { dataPath, wid } = await pairedProfile();
    const copy = copyOf(dataPath);
    const first = await restored(dataPath, { takeoverOnConflict: true });
    const [firstPage] = pageOf(wid);
    const states: string[] = [];
    const back = new Promise<void>((resolve) =>
      first.on('change_state', (state: string) => {
        states.push(state);
        if (state === 'CONNECTED') resolve();
      }),
    );
    let disconnected = false;
    first.on('disconnected', () => (disconnected = true));

    const second = pool.track(newClient(emulator, copy));
    // the second may be displaced, and destroyed by whatsapp-web.js, before its initialize() returns
    const secondStarted = second.initialize().catch((error: unknown) => error);
    await back;
    expect(states).toEqual(['CONFLICT', 'OPENING', 'CONNECTED']);
    expect(disconnected).toBe(false);
    const [displacedFirst, displacedSecond, ...more] = overlapsOf(wid);
    expect(displacedFirst?.firstClientId).toBe(firstPage?.clientId);
    expect(displacedSecond).toMatchObject({ firstClientId: displacedFirst?.secondClientId, secondClientId: firstPage?.clientId });
    expect(more).toEqual([]);

    const message = wait(first, 'message');
    await emulator.deliver(wid, { from: '15550002222@c.us', body: 'back to the first' });
    await message;
    await secondStarted;
  });
});
