#!/usr/bin/env node
/**
 * API: requests/s and latency of GET /sessions/:id on a supervisor holding 1,000 registered (not running)
 * sessions, measured the way production runs it: API_KEY set and every request carrying it (x-api-key), against
 * a minimal Fastify route serving the same JSON from a Map (sent the same header, which it ignores). Both are
 * real listening processes with the same node flags and environment (LOG_LEVEL at its default, info, for the supervisor; NODE_EXTRA_CA_CERTS unset:
 * a typical container has none), loaded by autocannon in this process with the same connections and duration,
 * in interleaved rounds; each side's warm-up round is dropped. RATE_LIMIT is lifted to 0 for the load test
 * only: at its default (6,000 a minute per key) it would refuse almost all of it. The same supervisor without a
 * key runs as a third side, so the key's own cost is in the table.
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
const API_KEY = 'bench-api-key-0123456789abcdef';
const AUTH = { 'x-api-key': API_KEY };
const log = progress('api');

// Not in a typical production container; every process started here inherits this environment.
const caBundle = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;

const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-api-'));
const ids = Array.from({ length: SESSIONS }, (_, index) => `api-${index}`);
const paths = ids.map((sessionId) => `/sessions/${sessionId}`);

/** A supervisor with the 1,000 sessions registered (start:false); `headers` carry its key, if it has one. */
async function supervisorWith({ name, env, headers, profile }) {
  const server = await startSupervisor({ dataDir: join(dir, name), env, profile });
  const client = jsonClient(server.base, { maxSockets: 16, headers });
  log(`${name}: registering ${SESSIONS} sessions`);
  await mapLimit(ids, 16, (sessionId) => client.call('POST', '/sessions', { sessionId, engine: 'simulated', start: false }));
  const template = await client.call('GET', '/sessions/api-0');
  client.close();
  return { server, template };
}

// The keyed supervisor is the one a profiling re-run profiles.
const keyed = await supervisorWith({ name: 'keyed', env: { API_KEY }, headers: AUTH, profile: true });
const keyless = await supervisorWith({ name: 'keyless', env: {}, headers: {}, profile: false });
const supervisor = keyed.server;
const { template } = keyed;

const reference = await startNodeServer({
  script: fileURLToPath(new URL('../fixtures/minimal-api.mjs', import.meta.url)),
  env: { BENCH_TEMPLATE: JSON.stringify(template), BENCH_PREFIX: 'api-', BENCH_SESSIONS: String(SESSIONS) },
  logDir: dir,
});

/** One autocannon run over the 1,000 ids, and the server's CPU time. */
async function load({ base, pid }, duration) {
  const run = await loadGets({ base, paths, connections: CONNECTIONS, seconds: duration, headers: AUTH, processes: { server: pid } });
  return { rps: run.rps, p99: run.p99, total: run.total, cpuShare: run.cpu.server.share, cpuUsPerRequest: run.cpu.server.usPerRequest, window: run.window };
}

const sides = { supervisor, reference, keyless: keyless.server };
log(`warm-up ${WARMUP_SECONDS} s each, then ${rounds} rounds of ${seconds} s each, ${CONNECTIONS} connections`);
for (const side of Object.values(sides)) await load(side, WARMUP_SECONDS);
const runs = { supervisor: [], reference: [], keyless: [] };
// Each side goes first, middle and last in turn, so none always follows the same one.
const ORDERS = [
  ['reference', 'supervisor', 'keyless'],
  ['supervisor', 'keyless', 'reference'],
  ['keyless', 'reference', 'supervisor'],
];
for (let round = 0; round < rounds; round++) {
  for (const side of ORDERS[round % ORDERS.length]) runs[side].push(await load(sides[side], seconds));
}
await reference.stop();
await supervisor.stop();
await keyless.server.stop();
rmSync(dir, { recursive: true, force: true });

const pick = (side, key) => median(runs[side].map((run) => run[key]));
const rps = { figure: pick('supervisor', 'rps'), reference: pick('reference', 'rps'), keyless: pick('keyless', 'rps') };
const p99 = { figure: pick('supervisor', 'p99'), reference: pick('reference', 'p99') };
const cpu = { figure: pick('supervisor', 'cpuUsPerRequest'), reference: pick('reference', 'cpuUsPerRequest') };
const busy = { figure: pick('supervisor', 'cpuShare'), reference: pick('reference', 'cpuShare') };
const percent = (share) => `${Math.round(share * 100)}%`;
emit({
  name: 'api',
  title: 'API: GET /sessions/:id with 1,000 sessions, API_KEY set',
  how:
    `autocannon, ${CONNECTIONS} connections, every request with \`x-api-key\`, ${rounds} interleaved rounds of ${seconds} s per side after a ` +
    `${WARMUP_SECONDS} s warm-up each (dropped); medians over rounds. Supervisor: compiled server.js, API_KEY set, LOG_LEVEL=info (its default), ` +
    `${SESSIONS} sessions registered with start:false; RATE_LIMIT=0 for this load test only (its default, 6,000 a minute per key, ` +
    'would refuse nearly all of it). Reference: one Fastify route (logger at warn) serving the same Session JSON from a Map. ' +
    `Paths cycle through all 1,000 ids. NODE_EXTRA_CA_CERTS ${caBundle === undefined ? 'was not set' : 'unset for every process measured'}.`,
  rows: [
    row('requests/s', { figure: num(rps.figure, 0), reference: num(rps.reference, 0), ratio: rps.figure / rps.reference, target: `≥ ${TARGET}×`, met: rps.figure / rps.reference >= TARGET }),
    row('requests/s, the same supervisor without API_KEY', { figure: num(rps.keyless, 0), reference: num(rps.reference, 0), ratio: rps.keyless / rps.reference }),
    row('latency p99 (1 ms resolution)', { figure: ms(p99.figure), reference: ms(p99.reference), ratio: p99.figure / p99.reference }),
    row('server CPU per request', { figure: `${num(cpu.figure, 1)} µs`, reference: `${num(cpu.reference, 1)} µs`, ratio: cpu.figure / cpu.reference }),
    row('server CPU busy (of one core)', { figure: percent(busy.figure), reference: percent(busy.reference), ratio: busy.figure / busy.reference }),
  ],
  notes: [
    'Before the levers of issue 13 (commit 0c47bff, this benchmark as it is now): 2,868 vs 4,820 req/s, 0.60×; 213 vs 86 µs of server ' +
      'CPU per request, 2.49×; 3,516 req/s without a key. The issue had measured 0.31-0.39× (11,741-14,050 vs 35,972-38,413 req/s) ' +
      'on a quieter machine. Levers: the Session serialized once per change (~24% of CPU per request), the key compared without ' +
      'hashing (~13%), HTTP latency counted without prom-client per observation (~5%), the auth hook as a callback (~3%).',
    'Until then this page measured the supervisor at LOG_LEVEL=warn, while its default, info, wrote two log lines per request ' +
      '(Fastify\'s "incoming request" and "request completed"). Those lines are debug now (plugins/request-logging.ts). Side by side ' +
      'on a quiet machine (4 interleaved rounds of 5 s, this script\'s load, c9043ef against this change): at info 4,754 → 9,031 req/s, ' +
      '203 → 97 µs of server CPU per request; at warn 109 → 103 µs (a request\'s child logger made only when it logs, and no cookie ' +
      'plugin onSend hook on every answer: −6%, within the noise).',
    `Response size ${Buffer.byteLength(JSON.stringify(template))} bytes on both sides.`,
    'autocannon shares the 2 cores with the server under test: a server that is not near 100% busy is being held back by the load ' +
      'generator, and then CPU per request (from /proc/<pid>/stat) compares the two servers more fairly than requests/s.',
  ],
  // A profiling re-run looks at the supervisor while autocannon loaded it (its first measured round).
  profileWindow: runs.supervisor[0].window,
  raw: runs,
});
