#!/usr/bin/env node
/**
 * Scale: 200 simulated sessions started and linked, the supervisor stopped (SIGTERM: they stay meant to run)
 * and started again with LAUNCH_CONCURRENCY at its default. Figures: time from the new supervisor's spawn until
 * all 200 are `ready` again (the latest `readyAt`), and the latency of GET /sessions/:id probed at a steady rate
 * (open loop) meanwhile. References, same run: 200 bare forks to their first IPC message at the same concurrency,
 * and the same probe against the same supervisor once restored and idle.
 * Usage: node bench/benchmarks/scale.mjs [sessions]   (after `pnpm build`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareFork, endBare } from '../lib/bare-fork.mjs';
import { delay } from '../lib/delay.mjs';
import { ms } from '../lib/format.mjs';
import { jsonClient, mapLimit } from '../lib/http.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { probeSessionsApart } from '../lib/probe-process.mjs';
import { summarize } from '../lib/stats.mjs';
import { spawnSupervisor, startSupervisor } from '../lib/supervisor-process.mjs';

const SESSIONS = Number(process.argv[2] ?? 200);
const LAUNCH_CONCURRENCY = 4; // the supervisor's default upper bound, which this run does not set
const PROBE_PER_SECOND = 20;
const IDLE_PROBE_MS = 10_000;
const RESTORE_TIMEOUT_MS = 180_000;
const TARGET_MS = 30_000;
const TARGET_P99_MS = 50;
const log = progress('scale');

const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-scale-'));
const dataDir = join(dir, 'data');
// Not in a typical production container: the supervisor and its workers start without it.
delete process.env.NODE_EXTRA_CA_CERTS;
const API_KEY = 'bench-scale-key-0123456789abcdef';
const HEADERS = { 'x-api-key': API_KEY };
// MAX_SESSIONS defaults to 100; this benchmark needs room for its 200. API_KEY set, as in production.
const env = { MAX_SESSIONS: String(SESSIONS * 2), API_KEY };
const ids = Array.from({ length: SESSIONS }, (_, index) => `scale-${index}`);

/** Polls GET /sessions until every session has `status`; returns the list. */
async function allReach(client, status, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await client.call('GET', '/sessions');
    const count = list.filter((session) => session.status === status).length;
    if (count === SESSIONS) return list;
    if (Date.now() > deadline) throw new Error(`only ${count} of ${SESSIONS} sessions reached ${status} in ${timeoutMs} ms`);
    await delay(250);
  }
}

// From a process of its own, as a real client has a machine of its own (probe-process.mjs; at nice -15 where it may).
const probe = (base, rate) => probeSessionsApart(base, ids, rate, { headers: HEADERS });

log(`starting and linking ${SESSIONS} sessions`);
// Only the restarted supervisor is the one to profile, should a profiling re-run ask.
let supervisor = await startSupervisor({ dataDir, env, profile: false });
let client = jsonClient(supervisor.base, { maxSockets: 16, headers: HEADERS });
await mapLimit(ids, 8, (sessionId) => client.call('POST', '/start-session', { sessionId, engine: 'simulated' }));
await allReach(client, 'qr', 120_000);
await mapLimit(ids, 8, (sessionId) => client.call('POST', `/sessions/${sessionId}/simulate/scan`));
await allReach(client, 'ready', 60_000);
client.close();

log('stopping the supervisor (SIGTERM)');
await supervisor.stop('SIGTERM');

log(`reference: ${SESSIONS} bare forks, ${LAUNCH_CONCURRENCY} at a time`);
const forkStarted = performance.now();
const forks = await mapLimit(ids, LAUNCH_CONCURRENCY, async () => (await bareFork()).child);
const forkFloorMs = performance.now() - forkStarted;
await Promise.all(forks.map(endBare));

log('restarting the supervisor');
const wallAtSpawn = Date.now();
supervisor = await spawnSupervisor({ dataDir, env });
const stopRestoreProbe = await probe(supervisor.base, PROBE_PER_SECOND);
const servingAt = await supervisor.serving;
client = jsonClient(supervisor.base, { maxSockets: 4, headers: HEADERS });
const restored = await allReach(client, 'ready', RESTORE_TIMEOUT_MS);
const restoreProbe = await stopRestoreProbe();
const lastReady = Math.max(...restored.map((session) => Date.parse(session.readyAt)));
const restoreMs = lastReady - wallAtSpawn;
const listenMs = servingAt - supervisor.spawnedAt;

log('reference: the same probe on the restored, idle supervisor');
const stopIdleProbe = await probe(supervisor.base, PROBE_PER_SECOND);
await delay(IDLE_PROBE_MS);
const idleProbe = await stopIdleProbe();
client.close();
await supervisor.stop('SIGTERM');
rmSync(dir, { recursive: true, force: true });

const during = summarize(restoreProbe.latencies);
// The slowest probes of the restore and when they were due (ms after the spawn), to show where the tail sits.
const byLatency = [...restoreProbe.timeline].sort((a, b) => b.ms - a.ms);
// A profiling re-run looks at the supervisor while the answers over the target were awaited (else the whole restore),
// on the monotonic clock that V8's profiles use.
const monotonicMs = (now) => now + (Number(process.hrtime.bigint()) / 1e6 - performance.now());
const overTarget = byLatency.filter((probe) => probe.ms > TARGET_P99_MS);
const profileWindow =
  overTarget.length > 0
    ? {
        fromMs: monotonicMs(Math.min(...overTarget.map((probe) => probe.at))),
        toMs: monotonicMs(Math.max(...overTarget.map((probe) => probe.at + probe.ms))),
      }
    : { fromMs: monotonicMs(supervisor.spawnedAt), toMs: monotonicMs(supervisor.spawnedAt + restoreMs) };
const slowest = byLatency
  .slice(0, 5)
  .map((probe) => ({ dueAfterSpawnMs: Math.round(probe.at - supervisor.spawnedAt), ms: Math.round(probe.ms) }));
const idle = summarize(idleProbe.latencies);
// The same probes without those due in the first second after the supervisor first answered (its start-up).
const afterStartUp = summarize(restoreProbe.timeline.filter((probe) => probe.at >= servingAt + 1000).map((probe) => probe.ms));
emit({
  name: 'scale',
  title: `Scale: restore ${SESSIONS} sessions after a supervisor restart`,
  how:
    `${SESSIONS} simulated sessions started and scanned, supervisor SIGTERMed (sessions stay desired-running) and spawned again with ` +
    `LAUNCH_CONCURRENCY unset (at most ${LAUNCH_CONCURRENCY} launches at once, fewer while the CPUs are saturated), MAX_SESSIONS=${SESSIONS * 2}, API_KEY set and sent, ` +
    `NODE_EXTRA_CA_CERTS unset: time from the spawn to the latest \`readyAt\` ` +
    `once GET /sessions (polled every 250 ms) shows all ready. GET /sessions/:id probed open-loop at ${PROBE_PER_SECOND}/s from the spawn, from a process of its own ` +
    `(as a real client has a machine of its own) at nice -15 where the benchmark may raise it (root) ` +
    `(latency from the intended send time; refused connections before it listens are left out). One run, no warm-up. ` +
    `References: ${SESSIONS} bare forks ${LAUNCH_CONCURRENCY} at a time (kept alive), and the same probe for ${IDLE_PROBE_MS / 1000} s on the restored idle supervisor.`,
  rows: [
    row(`restart → all ${SESSIONS} ready`, {
      figure: ms(restoreMs),
      reference: `${ms(forkFloorMs)} (bare forks)`,
      ratio: restoreMs / forkFloorMs,
      target: `≤ ${TARGET_MS / 1000} s`,
      met: restoreMs <= TARGET_MS,
    }),
    row('GET /sessions/:id p99 during restore', {
      figure: ms(during.p99),
      reference: `${ms(idle.p99)} (idle)`,
      ratio: during.p99 / idle.p99,
      target: `≤ ${ms(TARGET_P99_MS)}`,
      met: during.p99 <= TARGET_P99_MS,
    }),
    row('GET /sessions/:id p99 during restore, from 1 s after it first answered', {
      figure: ms(afterStartUp.p99),
      reference: `${ms(idle.p99)} (idle)`,
      ratio: afterStartUp.p99 / idle.p99,
    }),
    row('GET /sessions/:id median during restore', { figure: ms(during.median), reference: `${ms(idle.median)} (idle)`, ratio: during.median / idle.median }),
  ],
  notes: [
    `The supervisor served its first request ${ms(listenMs)} after its spawn; ${during.n} probes answered during the restore ` +
      `(${restoreProbe.refused} refused before it listened, ${restoreProbe.failed} non-200).`,
    `Slowest probes during the restore (latency, due at ms after the spawn): ${slowest.map((probe) => `${ms(probe.ms)} at ${probe.dueAfterSpawnMs}`).join(', ')}.`,
    `${SESSIONS} worker processes on 2 cores: starting as many bare Node processes at the same concurrency (the reference) ` +
      `takes ${Math.round((forkFloorMs / restoreMs) * 100)}% as long as the whole restore.`,
  ],
  profileWindow,
  raw: { afterStartUp, slowest, restoreMs, forkFloorMs, listenMs, during, idle, refused: restoreProbe.refused, failed: restoreProbe.failed },
});
