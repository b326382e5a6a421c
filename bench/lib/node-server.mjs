/**
 * A Node HTTP server as a real child process on 127.0.0.1 (the supervisor, or a reference server), started
 * with the same node flags and environment whatever it is, so the two sides of a comparison differ only in code.
 * Its stdout/stderr go to a log file in `logDir`. BENCH_PROFILE_DIR (a profiling re-run of run.mjs) adds
 * --cpu-prof to the servers that ask for it; `profileDir` adds it to this one whatever the run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { basename, join } from 'node:path';
import { own } from './cleanup.mjs';
import { freePort, waitUntilServing } from './http.mjs';

/** Variables of this machine's shell that would change a server under test: the benchmarks set their own. */
const CLEARED = ['API_KEY', 'WEBHOOK_URL', 'WEBHOOK_SECRET', 'MAX_SESSIONS', 'RESTORE_CONCURRENCY', 'LAUNCH_CONCURRENCY', 'RESTART_BACKOFF_MS', 'CHROMIUM_ARGS', 'NODE_OPTIONS', 'LOG_LEVEL'];

/** Spawns it; `serving` resolves (to performance.now()) once GET /health answers, and rejects after `servingTimeoutMs`. */
export async function spawnNodeServer({ script, env = {}, logDir, port, profile = false, profileDir, servingTimeoutMs = 30_000 }) {
  const chosen = port ?? (await freePort());
  const inherited = { ...process.env };
  for (const name of CLEARED) delete inherited[name];
  const logFile = openSync(join(logDir, `${basename(script)}-${chosen}-${Date.now()}.log`), 'a');
  const cpuProfileDir = profileDir ?? (profile ? process.env.BENCH_PROFILE_DIR : undefined);
  const profiling = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  const spawnedAt = performance.now();
  const child = own(
    spawn(process.execPath, [...profiling, script], {
      env: { ...inherited, HOST: '127.0.0.1', PORT: String(chosen), ...env },
      stdio: ['ignore', logFile, logFile],
    }),
  );
  const base = `http://127.0.0.1:${chosen}`;
  const exited = once(child, 'exit');
  const serving = Promise.race([
    waitUntilServing(base, '/health', servingTimeoutMs),
    exited.then(([code]) => Promise.reject(new Error(`${basename(script)} exited with ${code} before serving; see its log in ${logDir}`))),
  ]).then(() => performance.now());
  const stop = async (signal = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return { child, base, port: chosen, pid: child.pid, spawnedAt, serving, exited, stop };
}

export async function startNodeServer(options) {
  const server = await spawnNodeServer(options);
  await server.serving;
  return server;
}
