/**
 * The real engine end to end: supervisor → worker → whatsapp-web.js → Debian's Chromium → the offline WhatsApp
 * Web emulator (acting as web.whatsapp.com, the phone and the other party). Nothing is mocked.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type Emulator } from '@wsm/wa-web-emulator';
import { isLive, readProcStat } from '@wsm/procfs';
import {
  eventually,
  json,
  nextEvent,
  noOwnedProcesses,
  ownedPids,
  recordStatuses,
  removeDir,
  tempDataDir,
  useTestApps,
  waitForSession,
  type TestApp,
} from './helpers.js';
import { startSupervisor, waitForRemoteSession } from './supervisor-process.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ ackDelayMs: 20 });
});
afterAll(async () => {
  await emulator?.close();
});

const apps = useTestApps();
const STARTUP_MS = 30_000;
// Longer than the sum of a test's step deadlines, so a slow step fails with its own message, not a timeout.
vi.setConfig({ testTimeout: 180_000 });

const webjsEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  DEFAULT_ENGINE: 'webjs',
  CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs),
  HEARTBEAT_TIMEOUT_MS: '15000',
  STOP_TIMEOUT_MS: '5000',
  RESTART_BACKOFF_MS: '100',
  ...extra,
});

async function linkedSession(test: TestApp, sessionId: string) {
  const started = await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) });
  expect(started.statusCode).toBe(202);
  const waiting = await waitForSession(test.app, sessionId, 'qr', STARTUP_MS);
  const { qr } = (await test.app.inject({ url: `/sessions/${sessionId}/qr` })).json();
  const { wid } = await emulator.scan(qr);
  const ready = await waitForSession(test.app, sessionId, 'ready', STARTUP_MS);
  return { waiting, ready, wid };
}

/**
 * Every live process of the data dir was started with or after the given worker: nothing of an earlier
 * worker generation (its Chromium, or the crashpad helpers that daemonize out of Chromium's group) is left.
 */
function onlyNewerThan(dataDir: string, workerPid: number): void {
  const since = readProcStat(workerPid)!.startTime;
  const older = ownedPids(dataDir)
    .map((pid) => ({ pid, ...readProcStat(pid), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120) }))
    .filter((process) => (process.startTime ?? 0) < since);
  expect(older).toEqual([]);
}

/** Every path under `root`, relative and sorted: the whole of what was written there. */
const treeOf = (root: string): string[] => (readdirSync(root, { recursive: true }) as string[]).sort();

describe('webjs sessions on Chromium against the WhatsApp Web emulator', () => {
  it('go starting → qr → scan → ready, receive and send messages', async () => {
    const test = await apps.open(webjsEnv());
    const statuses = recordStatuses(test.app, 'web-1');
    const { waiting, ready, wid } = await linkedSession(test, 'web-1');
    expect(waiting.browserPid).toBeGreaterThan(0);
    expect(statuses).toEqual(['starting', 'qr', 'authenticated', 'ready']);
    expect(ready.me?.id).toBe(wid);
    expect(ready.engine).toBe('webjs');

    const png = await test.app.inject({ url: '/sessions/web-1/qr?format=png' });
    expect(png.statusCode).toBe(409); // ready: no QR any more

    const inbound = nextEvent(test.app, 'web-1', (event) => event.type === 'message.received');
    await emulator.deliver(wid, { from: '15550002222@c.us', body: 'hello from the emulator' });
    expect((await inbound).data).toMatchObject({ from: '15550002222@c.us', to: wid, body: 'hello from the emulator', type: 'chat', hasMedia: false });

    const sent = await test.app.inject({ method: 'POST', url: '/sessions/web-1/messages', ...json({ to: '15550002222@c.us', text: 'hi from the API' }) });
    expect(sent.statusCode).toBe(201);
    const { id } = sent.json();
    const acked = nextEvent(test.app, 'web-1', (event) => event.type === 'message.ack' && event.data.id === id && event.data.ack >= 2);
    const record = await emulator.waitForSent((candidate) => candidate.body === 'hi from the API');
    expect(record).toMatchObject({ to: '15550002222@c.us', from: wid });
    await acked;
  });

  it('link with a pairing code instead of a QR', async () => {
    const test = await apps.open(webjsEnv());
    await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'web-2' }) });
    const waiting = await waitForSession(test.app, 'web-2', 'qr', STARTUP_MS);
    const { qr } = (await test.app.inject({ url: '/sessions/web-2/qr' })).json();
    expect(qr).toEqual(expect.any(String));
    const png = await test.app.inject({ url: '/sessions/web-2/qr', headers: { accept: 'image/png' } });
    expect(png.headers['content-type']).toBe('image/png');
    const pairing = await test.app.inject({ method: 'POST', url: '/sessions/web-2/pairing-code', ...json({ phoneNumber: '+4915550003333' }) });
    expect(pairing.statusCode).toBe(200);
    const { code } = pairing.json();
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    await emulator.enterPairingCode(code);
    const ready = await waitForSession(test.app, 'web-2', 'ready', STARTUP_MS);
    expect(ready.me?.id).toBe('4915550003333@c.us');
    expect(ready.pid).toBe(waiting.pid);
  });

  it('come back ready without a new QR after kill -9 of the worker, leaving no Chromium behind', async () => {
    const test = await apps.open(webjsEnv());
    const { ready: before } = await linkedSession(test, 'web-3');
    const statuses = recordStatuses(test.app, 'web-3');
    process.kill(before.pid!, 'SIGKILL');
    const after = await waitForSession(test.app, 'web-3', (s) => s.status === 'ready' && s.pid !== before.pid, STARTUP_MS);
    expect(statuses).not.toContain('qr');
    expect(after.restarts).toBe(1);
    expect(after.me).toEqual(before.me);
    await eventually(() => !isLive(before.browserPid!), 10_000, 'the old Chromium to be gone');
    onlyNewerThan(apps.dataDir, after.pid!);

    // A restart on request keeps the pairing too.
    await test.app.inject({ method: 'POST', url: '/sessions/web-3/restart' });
    const restarted = await waitForSession(test.app, 'web-3', (s) => s.status === 'ready' && s.pid !== after.pid, STARTUP_MS);
    expect(statuses.filter((status) => status === 'qr')).toEqual([]);
    onlyNewerThan(apps.dataDir, restarted.pid!);
  });

  it('end failed with WSM_LOGGED_OUT when the phone logs the device out', async () => {
    const test = await apps.open(webjsEnv());
    const { wid } = await linkedSession(test, 'web-4');
    await emulator.logout(wid);
    const failed = await waitForSession(test.app, 'web-4', 'failed', STARTUP_MS);
    expect(failed.lastError?.code).toBe('WSM_LOGGED_OUT');
    expect(failed.desiredState).toBe('stopped');
    await noOwnedProcesses(apps.dataDir);
    // An explicit start links anew.
    await test.app.inject({ method: 'POST', url: '/sessions/web-4/start' });
    await waitForSession(test.app, 'web-4', 'qr', STARTUP_MS);
  });

  it('turn a withheld ready into WSM_READY_TIMEOUT instead of hanging', async () => {
    const test = await apps.open(webjsEnv({ WEBJS_READY_TIMEOUT_MS: '3000', RESTART_BACKOFF_MS: '1000' }));
    emulator.setBehavior({ withholdReady: true });
    try {
      await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'web-5' }) });
      await waitForSession(test.app, 'web-5', 'qr', STARTUP_MS);
      const { qr } = (await test.app.inject({ url: '/sessions/web-5/qr' })).json();
      await emulator.scan(qr);
      await waitForSession(test.app, 'web-5', 'authenticated', STARTUP_MS);
      const backoff = await waitForSession(test.app, 'web-5', 'backoff', 20_000);
      expect(backoff.lastError).toMatchObject({ code: 'WSM_READY_TIMEOUT' });
      expect(backoff.lastError?.message).toContain('never became ready within 3000 ms');
    } finally {
      emulator.setBehavior({ withholdReady: false });
    }
    await test.app.inject({ method: 'POST', url: '/sessions/web-5/stop' });
    await waitForSession(test.app, 'web-5', 'stopped', 20_000);
  });
});

describe('the supervisor process with webjs sessions', () => {
  it('killed with SIGKILL leaves zero Chromium processes, and its successor restores the session to ready', async () => {
    const dataDir = tempDataDir();
    const env = webjsEnv();
    const first = await startSupervisor(dataDir, env);
    try {
      expect((await first.request('POST', '/start-session', { sessionId: 'web-6' })).status).toBe(202);
      await waitForRemoteSession(first, 'web-6', (s) => s.status === 'qr', STARTUP_MS);
      const { qr } = (await first.request('GET', '/sessions/web-6/qr')).body;
      await emulator.scan(qr);
      const before = await waitForRemoteSession(first, 'web-6', (s) => s.status === 'ready', STARTUP_MS);
      expect(before.browserPid).toBeGreaterThan(0);
      first.child.kill('SIGKILL');
      await first.exited;
      await noOwnedProcesses(dataDir, 20_000);
      expect(isLive(before.browserPid)).toBe(false);
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    }
    const second = await startSupervisor(dataDir, env);
    try {
      const restored = await waitForRemoteSession(second, 'web-6', (s) => s.status === 'ready', STARTUP_MS);
      expect(restored.me).toBeTruthy();
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
      await noOwnedProcesses(dataDir);
    } finally {
      if (second.child.exitCode === null && second.child.signalCode === null) second.child.kill('SIGKILL');
      for (const pid of ownedPids(dataDir)) process.kill(pid, 'SIGKILL');
      removeDir(dataDir);
    }
  });
});

describe('what a webjs session writes', () => {
  it('stays inside DATA_DIR, and a kill -9 leaves no temp directory of the dead browser behind', async () => {
    const dataDir = tempDataDir();
    // The supervisor's HOME, TMPDIR and XDG directories, empty, so that "nothing written outside" is exact.
    const outside = tempDataDir();
    const home = join(outside, 'home');
    const tmp = join(outside, 'tmp');
    const run = join(outside, 'run');
    for (const dir of [home, tmp, run]) mkdirSync(dir, { mode: 0o700 });
    const env = webjsEnv({
      HOME: home,
      TMPDIR: tmp,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_STATE_HOME: join(home, '.local', 'state'),
      XDG_RUNTIME_DIR: run,
    });
    const sessionDir = join(dataDir, 'sessions', 'web-7');
    const profile = join(sessionDir, 'webjs', 'session');
    // Chromium's singleton socket lives in a directory of its own under its TMPDIR; the profile links to it.
    const socketDir = (): string => dirname(readlinkSync(join(profile, 'SingletonSocket')));
    const supervisor = await startSupervisor(dataDir, env);
    try {
      expect((await supervisor.request('POST', '/start-session', { sessionId: 'web-7' })).status).toBe(202);
      await waitForRemoteSession(supervisor, 'web-7', (s) => s.status === 'qr', STARTUP_MS);
      const { qr } = (await supervisor.request('GET', '/sessions/web-7/qr')).body;
      await emulator.scan(qr);
      const before = await waitForRemoteSession(supervisor, 'web-7', (s) => s.status === 'ready', STARTUP_MS);
      const deadDir = socketDir();
      const browserTemp = dirname(deadDir);
      expect(browserTemp.startsWith(sessionDir + sep)).toBe(true);
      expect(treeOf(outside)).toEqual(['home', 'run', 'tmp']);

      process.kill(before.pid, 'SIGKILL');
      const after = await waitForRemoteSession(supervisor, 'web-7', (s) => s.status === 'ready' && s.pid !== before.pid, STARTUP_MS);
      expect(after.browserPid).not.toBe(before.browserPid);
      expect(existsSync(deadDir)).toBe(false);
      // Only the live browser's own directory is left in the session's temp directory.
      expect(readdirSync(browserTemp)).toEqual([basename(socketDir())]);
      expect(treeOf(outside)).toEqual(['home', 'run', 'tmp']);

      supervisor.child.kill('SIGTERM');
      expect((await supervisor.exited).code).toBe(0);
      await noOwnedProcesses(dataDir);
      expect(treeOf(outside)).toEqual(['home', 'run', 'tmp']);
    } finally {
      if (supervisor.child.exitCode === null && supervisor.child.signalCode === null) supervisor.child.kill('SIGKILL');
      for (const pid of ownedPids(dataDir)) process.kill(pid, 'SIGKILL');
      await noOwnedProcesses(dataDir);
      // After a failed step a killed Chromium can still be flushing its profile: a throw here would hide that step.
      for (const dir of [dataDir, outside]) {
        try {
          rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
        } catch (error) {
          console.warn(`left ${dir} behind: ${String(error)}`);
        }
      }
    }
  });
});
