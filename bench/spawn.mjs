#!/usr/bin/env node
// Spawn and idle-memory figures of simulated sessions, each beside its reference measured in the same run:
//   - POST /start-session → status `qr`, against a bare fork() of a Node script to its first IPC message;
//   - idle RSS/PSS of one simulated worker, against a bare Node process that only holds an IPC channel.
// Usage: node bench/spawn.mjs [rounds]   (after `pnpm build`)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../apps/supervisor/dist/app.js';
import { loadConfig } from '../apps/supervisor/dist/config.js';

const rounds = Number(process.argv[2] ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-'));
const bare = join(dir, 'bare.cjs');
writeFileSync(bare, "process.send('up'); process.on('disconnect', () => process.exit(0));");

const memoryOf = (pid) => {
  const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  return {
    rssMb: kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'),
    pssMb: kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'),
  };
};
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), min: sorted[0] };
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

async function bareFork() {
  const started = performance.now();
  const child = fork(bare, [], { execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  await once(child, 'message');
  return { ms: performance.now() - started, child };
}

const config = loadConfig({ DATA_DIR: join(dir, 'data'), DEFAULT_ENGINE: 'simulated', LOG_LEVEL: 'warn' });
const app = await buildApp({ config, logger: pino({ level: 'silent' }) });
await app.ready();

async function startToQr(sessionId) {
  const started = performance.now();
  const reached = new Promise((resolve) => {
    const onStatus = (change) => {
      if (change.sessionId === sessionId && change.status === 'qr') {
        app.sessions.off('status', onStatus);
        resolve();
      }
    };
    app.sessions.on('status', onStatus);
  });
  const reply = await app.inject({ method: 'POST', url: '/start-session', payload: { sessionId } });
  if (reply.statusCode !== 202) throw new Error(`start-session answered ${reply.statusCode}`);
  await reached;
  return performance.now() - started;
}

// Interleaved, so both see the same machine load; the first round of each warms caches and is dropped.
const forks = [];
const spawns = [];
for (let round = 0; round <= rounds; round++) {
  const { ms, child } = await bareFork();
  child.disconnect();
  await once(child, 'exit');
  const spawn = await startToQr(`s${round}`);
  await app.inject({ method: 'DELETE', url: `/sessions/s${round}` });
  if (round > 0) {
    forks.push(ms);
    spawns.push(spawn);
  }
}

const idle = await bareFork();
await startToQr('idle');
await app.inject({ method: 'POST', url: '/sessions/idle/simulate/scan' });
await settle();
const worker = memoryOf(app.sessions.get('idle').toSession().pid);
const reference = memoryOf(idle.child.pid);
idle.child.disconnect();
await app.close();
rmSync(dir, { recursive: true, force: true });

const spawn = stats(spawns);
const forkRef = stats(forks);
const result = {
  machine: `${process.version}, ${(await import('node:os')).cpus().length} cores`,
  rounds,
  startToQrMs: spawn,
  bareForkMs: forkRef,
  spawnRatio: spawn.median / forkRef.median,
  idleWorker: worker,
  bareNode: reference,
  rssRatio: worker.rssMb / reference.rssMb,
};
console.log(JSON.stringify(result, (key, value) => (typeof value === 'number' ? Math.round(value * 100) / 100 : value), 2));
