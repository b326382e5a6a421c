#!/usr/bin/env node
/**
 * API: requests/s and latency of GET /sessions/:id on a supervisor holding 1,000 registered (not running)
 * sessions, against a minimal Fastify route serving the same JSON from a Map. Both are real listening
 * processes with the same node flags and environment (logger at warn), loaded by autocannon in this process
 * with the same connections and duration, in alternating rounds; each side's warm-up round is dropped.
 * Usage: node bench/benchmarks/api.mjs [seconds-per-round] [rounds]   (after `pnpm build`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ms, num } from '../lib/format.mjs';
import { loadGets } from '../lib/get-load.mjs';
import { jsonClient, mapLimit } from '../lib/http.mjs';
import { startNodeServer } from '../lib/node-server.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { median } from '../lib/stats.mjs';
import { startSupervisor } from '../lib/supervisor-process.mjs';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const SESSIONS = 1000;
const CONNECTIONS = 32;
const WARMUP_SECONDS = 3;
const TARGET = 0.7;
const log = progress('api');

const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-api-'));
const supervisor = await startSupervisor({ dataDir: join(dir, 'data') });
const client = jsonClient(supervisor.base, { maxSockets: 16 });
log(`registering ${SESSIONS} sessions`);
const ids = Array.from({ length: SESSIONS }, (_, index) => `api-${index}`);
const paths = ids.map((sessionId) => `/sessions/${sessionId}`);
await mapLimit(ids, 16, (sessionId) => client.call('POST', '/sessions', { sessionId, engine: 'simulated', start: false }));
const template = await client.call('GET', '/sessions/api-0');
client.close();

const reference = await startNodeServer({
  script: fileURLToPath(new URL('../fixtures/minimal-api.mjs', import.meta.url)),
  env: { BENCH_TEMPLATE: JSON.stringify(template), BENCH_PREFIX: 'api-', BENCH_SESSIONS: String(SESSIONS) },
  logDir: dir,
});

/** One autocannon run over the 1,000 ids, and the server's CPU time. */
async function load({ base, pid }, duration) {
  const run = await loadGets({ base, paths, connections: CONNECTIONS, seconds: duration, processes: { server: pid } });
  return { rps: run.rps, p99: run.p99, total: run.total, cpuShare: run.cpu.server.share, cpuUsPerRequest: run.cpu.server.usPerRequest, window: run.window };
}

const sides = { supervisor, reference };
log(`warm-up ${WARMUP_SECONDS} s each, then ${rounds} rounds of ${seconds} s each, ${CONNECTIONS} connections`);
for (const side of Object.values(sides)) await load(side, WARMUP_SECONDS);
const runs = { supervisor: [], reference: [] };
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['reference', 'supervisor'] : ['supervisor', 'reference'];
  for (const side of order) runs[side].push(await load(sides[side], seconds));
}
await reference.stop();
await supervisor.stop();
rmSync(dir, { recursive: true, force: true });

const pick = (side, key) => median(runs[side].map((run) => run[key]));
const rps = { figure: pick('supervisor', 'rps'), reference: pick('reference', 'rps') };
const p99 = { figure: pick('supervisor', 'p99'), reference: pick('reference', 'p99') };
const cpu = { figure: pick('supervisor', 'cpuUsPerRequest'), reference: pick('reference', 'cpuUsPerRequest') };
const busy = { figure: pick('supervisor', 'cpuShare'), reference: pick('reference', 'cpuShare') };
const percent = (share) => `${Math.round(share * 100)}%`;
emit({
  name: 'api',
  title: 'API: GET /sessions/:id with 1,000 sessions',
  how:
    `autocannon, ${CONNECTIONS} connections, ${rounds} alternating rounds of ${seconds} s per side after a ${WARMUP_SECONDS} s warm-up each ` +
    `(dropped); medians over rounds. Supervisor: compiled server.js, LOG_LEVEL=warn, RATE_LIMIT=0, no API key, ${SESSIONS} sessions ` +
    'registered with start:false. Reference: one Fastify route (logger at warn) serving the same Session JSON from a Map. ' +
    'Paths cycle through all 1,000 ids.',
  rows: [
    row('requests/s', { figure: num(rps.figure, 0), reference: num(rps.reference, 0), ratio: rps.figure / rps.reference, target: `≥ ${TARGET}×`, met: rps.figure / rps.reference >= TARGET }),
    row('latency p99 (1 ms resolution)', { figure: ms(p99.figure), reference: ms(p99.reference), ratio: p99.figure / p99.reference }),
    row('server CPU per request', { figure: `${num(cpu.figure, 1)} µs`, reference: `${num(cpu.reference, 1)} µs`, ratio: cpu.figure / cpu.reference }),
    row('server CPU busy (of one core)', { figure: percent(busy.figure), reference: percent(busy.reference), ratio: busy.figure / busy.reference }),
  ],
  notes: [
    `Response size ${Buffer.byteLength(JSON.stringify(template))} bytes on both sides.`,
    'autocannon shares the 2 cores with the server under test: a server that is not near 100% busy is being held back by the load ' +
      'generator, and then CPU per request (from /proc/<pid>/stat) compares the two servers more fairly than requests/s.',
  ],
  // A profiling re-run looks at the supervisor while autocannon loaded it (its first measured round).
  profileWindow: runs.supervisor[0].window,
  raw: runs,
});
