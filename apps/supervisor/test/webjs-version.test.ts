/**
 * WEB_VERSION on the real engine: a session that gets ready keeps its WhatsApp Web page as the last version that
 * worked; `last-working` loads that page again where WhatsApp Web (here a second emulator) has moved on; a pinned
 * version comes from WEB_VERSION_URL when it is not saved, and a version found nowhere fails the start for good.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmulator, type Emulator } from '@wsm/wa-web-emulator';
import { eventually, json, useTestApps, waitForSession, type TestApp } from './helpers.js';

const apps = useTestApps();
const emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
});
vi.setConfig({ testTimeout: 180_000 });
const STARTUP_MS = 45_000;

async function emulatorAt(webVersion: string): Promise<Emulator> {
  const emulator = await startEmulator({ ackDelayMs: 20, webVersion });
  emulators.push(emulator);
  return emulator;
}

const env = (emulator: Emulator, extra: Record<string, string> = {}): Record<string, string> => ({
  DEFAULT_ENGINE: 'webjs',
  CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs),
  HEARTBEAT_TIMEOUT_MS: '15000',
  STOP_TIMEOUT_MS: '5000',
  ...extra,
});

/** Starts and links a session; answers the WhatsApp Web version it got ready on, as its worker logged it. */
async function readyVersion(test: TestApp, emulator: Emulator, sessionId: string): Promise<string> {
  expect((await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) })).statusCode).toBe(202);
  await waitForSession(test.app, sessionId, 'qr', STARTUP_MS);
  const { qr } = (await test.app.inject({ url: `/sessions/${sessionId}/qr` })).json();
  await emulator.scan(qr);
  await waitForSession(test.app, sessionId, 'ready', STARTUP_MS);
  return eventually(async () => {
    const records = (await test.app.inject({ url: `/sessions/${sessionId}/logs?limit=1000` })).json() as Array<{ msg: string; version?: string }>;
    return records.find((record) => record.msg === 'WhatsApp Web is ready')?.version;
  });
}

describe('WEB_VERSION', () => {
  it('remembers the version a session got ready on, and last-working loads it where WhatsApp Web moved on', async () => {
    const before = await emulatorAt('2.3000.1000000001');
    const first = await apps.open(env(before));
    expect(await readyVersion(first, before, 'v-1')).toBe('2.3000.1000000001');
    const store = join(first.config.dataDir, 'web-versions');
    await eventually(() => existsSync(join(store, 'last-working')) || undefined);
    expect(readFileSync(join(store, 'last-working'), 'utf8').trim()).toBe('2.3000.1000000001');
    expect(readFileSync(join(store, '2.3000.1000000001.html'), 'utf8')).toContain('2.3000.1000000001');

    // The store is the node's, not the session's: it outlives the session.
    await first.app.inject({ method: 'DELETE', url: '/sessions/v-1' });
    await first.close();

    // WhatsApp Web ships 2.3000.2000000002; this node keeps loading the page that worked.
    const after = await emulatorAt('2.3000.2000000002');
    const pinned = await apps.open(env(after, { WEB_VERSION: 'last-working' }), true);
    expect(await readyVersion(pinned, after, 'v-2')).toBe('2.3000.1000000001');
    // Unpinned, the same node runs what WhatsApp Web serves now.
    await pinned.app.inject({ method: 'DELETE', url: '/sessions/v-2' });
    await pinned.close();
    const live = await apps.open(env(after), true);
    expect(await readyVersion(live, after, 'v-3')).toBe('2.3000.2000000002');
  });

  it('fetches a pinned version that is not saved from WEB_VERSION_URL, and fails for good when it is nowhere', async () => {
    const emulator = await emulatorAt('2.3000.1000000001');
    const remote = await apps.open(env(emulator, { WEB_VERSION: '2.3000.4000000004', WEB_VERSION_URL: emulator.webVersionRemotePath }));
    expect(await readyVersion(remote, emulator, 'r-1')).toBe('2.3000.4000000004');
    await remote.app.inject({ method: 'DELETE', url: '/sessions/r-1' });
    await remote.close();

    const nowhere = await apps.open(env(emulator, { WEB_VERSION: '2.3000.3000000003' }), true);
    await nowhere.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'n-1' }) });
    const failed = await waitForSession(nowhere.app, 'n-1', 'failed', STARTUP_MS);
    expect(failed.lastError?.code).toBe('WSM_WEB_VERSION_UNAVAILABLE');
    expect(failed.lastError?.message).toMatch(/WEB_VERSION 2\.3000\.3000000003 is not saved on this node/);
  });
});
