import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLive } from '@wsm/procfs';
import {
  fixture,
  json,
  ownedPids,
  useTestApps,
  waitForSession,
  type TestApp,
} from './helpers.js';

const apps = useTestApps();

async function readySession({ app }: TestApp, sessionId: string) {
  await app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) });
  await waitForSession(app, sessionId, 'qr');
  return (await app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` })).json();
}

describe('crash recovery with real worker processes', () => {
  it('brings a kill -9ed worker back to ready with a new pid, restarts + 1, and no new scan', async () => {
    const test = await apps.open();
    const before = await readySession(test, 'victim');
    process.kill(before.pid, 'SIGKILL');
    const backoff = await waitForSession(test.app, 'victim', 'backoff');
    expect(backoff.lastError).toMatchObject({ code: 'WSM_WORKER_CRASHED' });
    expect(backoff.lastError?.message).toContain('SIGKILL');
    const after = await waitForSession(test.app, 'victim', 'ready');
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.me).toEqual(before.me);
    expect(isLive(before.pid)).toBe(false);
    expect(ownedPids(apps.dataDir)).toEqual([after.pid]);
  });

  it('detects a SIGSTOPped (hung) worker by its missing heartbeats and replaces it', async () => {
    const test = await apps.open({ HEARTBEAT_TIMEOUT_MS: '800' });
    const before = await readySession(test, 'frozen');
    process.kill(before.pid, 'SIGSTOP');
    const backoff = await waitForSession(test.app, 'frozen', 'backoff');
    expect(backoff.lastError).toMatchObject({ code: 'WSM_HEARTBEAT_TIMEOUT' });
    const after = await waitForSession(test.app, 'frozen', 'ready');
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe(1);
    expect(isLive(before.pid)).toBe(false);
  });

  it('ends a crash loop in failed with lastError saying why, then starts again on request', async () => {
    const test = await apps.open({ WORKER_ENTRY: fixture('crash-on-start.mjs'), RESTART_MAX_CRASHES: '3', RESTART_BACKOFF_MS: '10' });
    const seen: string[] = [];
    test.app.sessions.on('status', (change) => seen.push(change.status));
    await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'loop' }) });
    const failed = await waitForSession(test.app, 'loop', 'failed');
    expect(failed.lastError?.code).toBe('WSM_CRASH_LOOP');
    expect(failed.lastError?.message).toContain('4 times in a row');
    expect(failed.lastError?.message).toContain('fixture: crashing on start');
    expect(failed.restarts).toBe(3);
    expect(failed.desiredState).toBe('stopped');
    expect(seen.filter((status) => status === 'backoff')).toHaveLength(3);
    expect(seen.filter((status) => status === 'starting')).toHaveLength(4);

    const again = await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'loop' }) });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ status: 'starting', lastError: null });
    await waitForSession(test.app, 'loop', 'failed');
  });

  it('fails at once, without restarts, when the engine says a restart cannot help', async () => {
    const test = await apps.open();
    const authDir = join(apps.dataDir, 'sessions', 'broken', 'simulated');
    mkdirSync(authDir, { recursive: true });
    writeFileSync(join(authDir, 'auth.json'), '{not json');
    await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'broken' }) });
    const failed = await waitForSession(test.app, 'broken', 'failed');
    expect(failed.lastError?.code).toBe('WSM_AUTH_DATA_CORRUPT');
    expect(failed.restarts).toBe(0);
  });

  it('refuses a worker that speaks another protocol version', async () => {
    const test = await apps.open({ WORKER_ENTRY: fixture('wrong-protocol.mjs') });
    await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'alien' }) });
    const failed = await waitForSession(test.app, 'alien', 'failed');
    expect(failed.lastError?.code).toBe('WSM_IPC_PROTOCOL_ERROR');
    expect(failed.restarts).toBe(0);
  });

  it('stops a worker that ignores the request and SIGTERM by SIGKILLing its group', async () => {
    const test = await apps.open({ WORKER_ENTRY: fixture('stubborn.mjs'), STOP_TIMEOUT_MS: '300' });
    await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'mule' }) });
    const waiting = await waitForSession(test.app, 'mule', 'qr');
    await test.app.inject({ method: 'POST', url: '/sessions/mule/stop' });
    const stopped = await waitForSession(test.app, 'mule', 'stopped');
    expect(stopped.pid).toBeNull();
    expect(isLive(waiting.pid!)).toBe(false);
  });
});
