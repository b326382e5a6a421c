#!/usr/bin/env node
/**
 * Recovery: kill -9 of a ready simulated worker → `ready` again (RESTART_BACKOFF_MS=0), against start → `qr`
 * of the same rounds: each round starts a new session, links it, kills its worker once, and deletes it.
 * One kill per session, so the restart policy never sees consecutive crashes.
 * Usage: node bench/benchmarks/recovery.mjs [rounds]   (after `pnpm build`)
 */
import { ms } from '../lib/format.mjs';
import { startInProcess } from '../lib/in-process.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { summarize } from '../lib/stats.mjs';

const rounds = Number(process.argv[2] ?? 25);
const WARMUP = 2;
const TARGET = 2;
const log = progress('recovery');

const supervisor = await startInProcess({ RESTART_BACKOFF_MS: '0' });
const { app } = supervisor;

const spawns = [];
const recoveries = [];
log(`${rounds} rounds after ${WARMUP} warm-up rounds`);
for (let round = 0; round < rounds + WARMUP; round++) {
  const id = `recovery-${round}`;
  const started = performance.now();
  const qr = supervisor.reach(id, 'qr');
  await supervisor.call('POST', '/start-session', { sessionId: id, engine: 'simulated' });
  const spawn = (await qr) - started;

  const linked = supervisor.reach(id, 'ready');
  await supervisor.call('POST', `/sessions/${id}/simulate/scan`);
  await linked;

  const { pid } = app.sessions.view(id);
  const back = supervisor.reach(id, 'ready');
  const killed = performance.now();
  process.kill(pid, 'SIGKILL');
  const recovery = (await back) - killed;
  const after = app.sessions.view(id);
  if (after.pid === pid || after.restarts !== 1) throw new Error(`${id}: expected a new worker after one restart, got ${JSON.stringify(after)}`);
  await supervisor.call('DELETE', `/sessions/${id}`);
  if (round < WARMUP) continue;
  spawns.push(spawn);
  recoveries.push(recovery);
}
await supervisor.close();

const recovery = summarize(recoveries);
const spawn = summarize(spawns);
const recoveryRatio = recovery.median / spawn.median;
emit({
  name: 'recovery',
  title: 'Recovery: kill -9 of a ready worker → ready',
  how:
    `${rounds} rounds (${WARMUP} warm-up rounds dropped), supervisor in-process with RESTART_BACKOFF_MS=0: each round starts a new ` +
    'simulated session (start→qr is the reference, timed in the same round), scans it, SIGKILLs its worker and times until the ' +
    'manager emits `ready` from the restarted worker (which reads its stored pairing), then deletes the session.',
  rows: [
    row('kill→ready, median', { figure: ms(recovery.median), reference: `${ms(spawn.median)} (start→qr)`, ratio: recoveryRatio, target: `≤ ${TARGET}×`, met: recoveryRatio <= TARGET }),
    row('kill→ready, p90', { figure: ms(recovery.p90), reference: `${ms(spawn.p90)} (start→qr)`, ratio: recovery.p90 / spawn.p90 }),
  ],
  notes: [],
  raw: { killToReadyMs: recovery, startToQrMs: spawn },
});
