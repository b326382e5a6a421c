#!/usr/bin/env node
/**
 * A burst of webjs starts on the WhatsApp Web emulator: N sessions requested at once from a supervisor process
 * (API_KEY set, NODE_EXTRA_CA_CERTS unset), until each is in `qr` or `failed`. Figures: time from the burst to the
 * last `qr`, sessions failed, worker restarts, worker exits by cause (heartbeat-timeout among them), the peak
 * 1-minute load average, and GET /sessions/:id latency probed open-loop at 10/s meanwhile.
 * Usage: node bench/launch-burst.mjs <sessions> [supervisor server.js ...]   (after `pnpm build`; several
 * supervisors, e.g. an older checkout's, are measured one after the other in the order given). BURNERS=<n> runs
 * n CPU-burning processes during each burst (a machine starved on purpose).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmulator } from '@wsm/wa-web-emulator';
import { jsonClient } from './lib/http.mjs';
import { startNodeServer } from './lib/node-server.mjs';
import { openLoop } from './lib/open-loop.mjs';
import { summarize } from './lib/stats.mjs';
import { SUPERVISOR } from './lib/supervisor-process.mjs';

const sessions = Number(process.argv[2] ?? 20);
const supervisors = process.argv.length > 3 ? process.argv.slice(3) : [SUPERVISOR];
const CAP_MS = 480_000;
const BURNERS = Number(process.env.BURNERS ?? 0);
const API_KEY = 'bench-launch-burst-key';
delete process.env.NODE_EXTRA_CA_CERTS;

const emulator = await startEmulator();
const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

async function run(script) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wsm-bench-burst-'));
  const server = await startNodeServer({
    script,
    logDir: dirname(dataDir),
    env: {
      DATA_DIR: dataDir,
      API_KEY,
      DEFAULT_ENGINE: 'webjs',
      CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs),
      LOG_LEVEL: 'info',
      RATE_LIMIT: '0',
      MAX_SESSIONS: String(sessions * 2),
      // Nobody scans: a session that waits in `qr` for the rest of the burst must not run out of QR codes meanwhile.
      QR_MAX_ATTEMPTS: '100',
    },
  });
  const client = jsonClient(server.base, { headers: { 'x-api-key': API_KEY } });
  const burners = Array.from({ length: BURNERS }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const ids = Array.from({ length: sessions }, (_, i) => `burst-${i}`);
  let peakLoad = loadAverage();
  const loadTimer = setInterval(() => (peakLoad = Math.max(peakLoad, loadAverage())), 1000);
  const probes = [];
  const started = performance.now();
  const probe = openLoop({
    rate: 10,
    send: async (i, due) => {
      const answer = await client.request('GET', `/sessions/${ids[i % ids.length]}`).catch(() => undefined);
      if (answer !== undefined) probes.push(performance.now() - due);
    },
  });
  const answers = await Promise.all(ids.map((sessionId) => client.request('POST', '/start-session', { sessionId })));
  const refused = answers.filter((answer) => answer.status !== 202).length;
  let last;
  /** When each session first showed `qr`, ms after the burst. */
  const firstQr = new Map();
  for (;;) {
    const items = await client.call('GET', '/sessions');
    last = items;
    for (const session of items) if (session.status === 'qr' && !firstQr.has(session.sessionId)) firstQr.set(session.sessionId, performance.now() - started);
    if (items.every((session) => firstQr.has(session.sessionId) || session.status === 'failed')) break;
    if (performance.now() - started > CAP_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const allMs = performance.now() - started;
  for (const burner of burners) burner.kill('SIGKILL');
  await probe.finish();
  clearInterval(loadTimer);
  const metrics = await fetch(`${server.base}/metrics`, { headers: { 'x-api-key': API_KEY } }).then((response) => response.text());
  const exits = {};
  for (const match of String(metrics).matchAll(/^wsm_worker_exits_total\{cause="([^"]+)"\} (\d+)/gm)) exits[match[1]] = Number(match[2]);
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  client.close();
  const latency = summarize(probes);
  return {
    script,
    sessions,
    burners: BURNERS,
    refused,
    allQrMs: Math.round(allMs),
    firstQrMs: Math.round(Math.min(...firstQr.values())),
    medianQrMs: Math.round(summarize([...firstQr.values()]).median),
    reachedQr: firstQr.size,
    failed: last.filter((session) => session.status === 'failed').length,
    failedCodes: [...new Set(last.filter((session) => session.status === 'failed').map((session) => session.lastError?.code))],
    restarts: last.reduce((sum, session) => sum + session.restarts, 0),
    exits,
    peakLoad1m: peakLoad,
    getSessionMs: { n: latency.n, median: Math.round(latency.median), p99: Math.round(latency.p99), max: Math.round(latency.max) },
  };
}

for (const script of supervisors) {
  const result = await run(script);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
await emulator.close();
