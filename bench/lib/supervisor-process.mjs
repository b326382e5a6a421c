/**
 * The compiled supervisor as a real process (`node apps/supervisor/dist/server.js`) on 127.0.0.1, for the
 * benchmarks that load its HTTP server or restart it: simulated engine, LOG_LEVEL=info (its default), RATE_LIMIT=0, no API key.
 * It is the process a profiling re-run profiles.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNodeServer } from './node-server.mjs';

export const SUPERVISOR = fileURLToPath(new URL('../../apps/supervisor/dist/server.js', import.meta.url));

/**
 * Spawns it; `serving` resolves once it answers GET /health. Its log goes next to its data dir. `profile: false`
 * keeps a profiling re-run off it; `profileDir` profiles it in any run.
 */
export function spawnSupervisor({ dataDir, env = {}, port, profile = true, profileDir, servingTimeoutMs }) {
  return spawnNodeServer({
    script: SUPERVISOR,
    env: { DATA_DIR: dataDir, DEFAULT_ENGINE: 'simulated', LOG_LEVEL: 'info', RATE_LIMIT: '0', ...env },
    logDir: dirname(dataDir),
    port,
    profile,
    profileDir,
    servingTimeoutMs,
  });
}

export async function startSupervisor(options) {
  const supervisor = await spawnSupervisor(options);
  await supervisor.serving;
  return supervisor;
}
