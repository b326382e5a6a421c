#!/usr/bin/env node
/**
 * Spawn: POST /start-session → status `qr` of a simulated session (which adds no delay of its own), against
 * a bare fork() of a Node script to its first IPC message, interleaved round by round in one process.
 * Usage: node bench/benchmarks/spawn.mjs [rounds]   (after `pnpm build`)
 */
import { bareFork, endBare } from '../lib/bare-fork.mjs';
import { ms, ratio } from '../lib/format.mjs';
import { startInProcess } from '../lib/in-process.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { summarize } from '../lib/stats.mjs';

const rounds = Number(process.argv[2] ?? 30);
const WARMUP = 2;
const TARGET = 1.5;
const log = progress('spawn');

const supervisor = await startInProcess();
const withoutCaEnv = { ...process.env };
delete withoutCaEnv.NODE_EXTRA_CA_CERTS;

async function startToQr(sessionId) {
  const started = performance.now();
  const reached = supervisor.reach(sessionId, 'qr');
  await supervisor.call('POST', '/start-session', { sessionId, engine: 'simulated' });
  const at = await reached;
  await supervisor.call('DELETE', `/sessions/${sessionId}`);
  return at - started;
}

async function timedFork(env) {
  const { ms: took, child } = await bareFork({ env });
  await endBare(child);
  return took;
}

const spawns = [];
const forks = [];
const forksNoCa = [];
log(`${rounds} rounds after ${WARMUP} warm-up rounds`);
for (let round = 0; round < rounds + WARMUP; round++) {
  // The order flips every round, so neither side always runs right after the other's clean-up.
  const steps = [
    async () => ({ spawn: await startToQr(`spawn-${round}`) }),
    async () => ({ fork: await timedFork(process.env) }),
    async () => ({ forkNoCa: await timedFork(withoutCaEnv) }),
  ];
  if (round % 2 === 1) steps.reverse();
  const taken = {};
  for (const step of steps) Object.assign(taken, await step());
  if (round < WARMUP) continue;
  spawns.push(taken.spawn);
  forks.push(taken.fork);
  forksNoCa.push(taken.forkNoCa);
}
await supervisor.close();

const spawn = summarize(spawns);
const fork = summarize(forks);
const noCa = summarize(forksNoCa);
const spawnRatio = spawn.median / fork.median;
emit({
  name: 'spawn',
  title: 'Spawn: start a session → QR',
  how:
    `${rounds} interleaved rounds (${WARMUP} warm-up rounds dropped), supervisor built in-process (app.inject, logger silent): ` +
    'POST /start-session of a new simulated session until the manager emits `qr`, then DELETE; the reference forks ' +
    'bare-ipc.cjs (process.send, then idle) and times its first IPC message. Both children inherit the same environment.',
  rows: [
    row('start→qr, median', { figure: ms(spawn.median), reference: ms(fork.median), ratio: spawnRatio, target: `≤ ${TARGET}×`, met: spawnRatio <= TARGET }),
    row('start→qr, p90', { figure: ms(spawn.p90), reference: ms(fork.p90), ratio: spawn.p90 / fork.p90 }),
  ],
  notes: [
    `NODE_EXTRA_CA_CERTS is set here and inherited by workers and bare forks alike; a bare fork without it takes ${ms(noCa.median)} ` +
      `(median), so it costs ${ms(fork.median - noCa.median)} of every Node start on both sides (ratio without it, estimated: ` +
      `${ratio((spawn.median - (fork.median - noCa.median)) / noCa.median)}).`,
  ],
  raw: { startToQrMs: spawn, bareForkMs: fork, bareForkWithoutCaMs: noCa },
});
