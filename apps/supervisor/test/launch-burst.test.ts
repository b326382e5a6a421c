/**
 * A burst of starts on a machine starved of CPU on purpose must not turn into failed sessions: many webjs
 * sessions (real workers, Debian's Chromium, the WhatsApp Web emulator) are started at once while CPU burners,
 * three per core, keep every core busy; the heartbeat timeout and the stage deadlines are set short, so that
 * starvation judged as a hang or as a stuck stage would show. Every session must reach `qr` with no worker ever
 * lost on the way. No timing is asserted: how long it takes depends on the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type Emulator } from '@wsm/wa-web-emulator';
import { json, useTestApps, waitForSession } from './helpers.js';

let emulator: Emulator;
const burners: ChildProcess[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ ackDelayMs: 20 });
});
afterAll(async () => {
  stopBurners();
  await emulator?.close();
});

function startBurners(count: number): void {
  for (let i = 0; i < count; i++) burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

function stopBurners(): void {
  for (const burner of burners.splice(0)) burner.kill('SIGKILL');
}

const apps = useTestApps();
vi.setConfig({ testTimeout: 600_000 });

const SESSIONS = 6;

/** One counter of the Prometheus text, summed over its labels. */
function counter(metrics: string, name: string, label = ''): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(name) && line.includes(label))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('a burst of webjs starts on a CPU-starved machine', () => {
  it('gets every session to qr, none failed, no worker killed as hung or by a stage deadline', async () => {
    const test = await apps.open({
      DEFAULT_ENGINE: 'webjs',
      CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs),
      // Short enough that starvation taken for a hang or a stuck stage would kill workers here.
      HEARTBEAT_TIMEOUT_MS: '1000',
      WEBJS_LAUNCH_TIMEOUT_MS: '3000',
      WEBJS_LOAD_TIMEOUT_MS: '5000',
      RESTART_BACKOFF_MS: '100',
      RESTART_MAX_CRASHES: '3',
      STOP_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'info',
    });
    const ids = Array.from({ length: SESSIONS }, (_, i) => `burst-${i}`);
    startBurners(availableParallelism() * 3);
    try {
      const started = await Promise.all(
        ids.map((sessionId) => test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) })),
      );
      expect(started.map((response) => response.statusCode)).toEqual(ids.map(() => 202));
      // The bound is a test harness's, not an expectation: a session lost on the way would fail or back off first.
      const reached = await Promise.all(
        ids.map((sessionId) =>
          waitForSession(test.app, sessionId, (session) => session.status === 'qr' || session.status === 'failed', 480_000),
        ),
      );
      const metrics = (await test.app.inject({ url: '/metrics' })).body;
      expect(reached.map((session) => [session.sessionId, session.status, session.restarts, session.lastError?.code ?? null])).toEqual(
        ids.map((sessionId) => [sessionId, 'qr', 0, null]),
      );
      expect(counter(metrics, 'wsm_worker_exits_total', 'heartbeat-timeout')).toBe(0);
      expect(counter(metrics, 'wsm_worker_exits_total')).toBe(0);
      expect(counter(metrics, 'wsm_launches', 'queued')).toBe(0);
      expect(counter(metrics, 'wsm_launches', 'launching')).toBe(0);
    } finally {
      stopBurners();
    }
  });
});
