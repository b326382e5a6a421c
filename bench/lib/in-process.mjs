/**
 * The supervisor built inside the benchmark process (no HTTP listener: `app.inject`), for figures timed on
 * its own status events: no polling between the moment something happens and the moment it is seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../../apps/supervisor/dist/app.js';
import { loadConfig } from '../../apps/supervisor/dist/config.js';

export async function startInProcess(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-'));
  const config = loadConfig({ DATA_DIR: join(dir, 'data'), DEFAULT_ENGINE: 'simulated', LOG_LEVEL: 'info', RATE_LIMIT: '0', ...env });
  const app = await buildApp({ config, logger: pino({ level: 'silent' }) });
  await app.ready();

  /** Resolves with the time (performance.now()) at which `sessionId` reaches `status`. */
  const reach = (sessionId, status, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        app.sessions.off('status', onStatus);
        reject(new Error(`${sessionId} did not reach ${status} in ${timeoutMs} ms`));
      }, timeoutMs);
      const onStatus = (change) => {
        if (change.sessionId !== sessionId || change.status !== status) return;
        clearTimeout(timer);
        app.sessions.off('status', onStatus);
        resolve(performance.now());
      };
      app.sessions.on('status', onStatus);
    });

  // With API_KEY set every call carries it, as a real client's would.
  const headers = config.apiKey === undefined ? {} : { 'x-api-key': config.apiKey };
  const call = async (method, url, payload) => {
    const reply = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    if (reply.statusCode >= 300) throw new Error(`${method} ${url} answered ${reply.statusCode}: ${reply.body}`);
    return reply.body === '' ? undefined : reply.json();
  };

  const close = async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { app, dir, reach, call, close };
}
