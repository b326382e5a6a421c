#!/usr/bin/env node
/**
 * Memory at idle, each side measured at the same moment after the same settle time:
 *   - one linked simulated worker vs a bare Node process holding an IPC channel (RSS and PSS of each process),
 *     over several rounds;
 *   - one linked `webjs` session (worker + its Chromium tree, started by the supervisor with our flags) vs a
 *     plain whatsapp-web.js Client with its defaults in its own process (+ its Chromium tree), both linked on
 *     the WhatsApp Web emulator: PSS summed over every process of each side's process groups.
 * Usage: node bench/benchmarks/memory.mjs [rounds] [webjs-settle-seconds]   (after `pnpm build`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareFork, endBare } from '../lib/bare-fork.mjs';
import { delay } from '../lib/delay.mjs';
import { mb } from '../lib/format.mjs';
import { startInProcess } from '../lib/in-process.mjs';
import { memoryOf } from '../lib/proc.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { median } from '../lib/stats.mjs';
import { webjsSideBySide } from '../lib/webjs-side-by-side.mjs';

const rounds = Number(process.argv[2] ?? 5);
const webjsSettleSeconds = Number(process.argv[3] ?? 30);
const SETTLE_MS = 2000;
const TARGET_RSS = 1.3;
const progressLog = progress('memory');
const t0 = performance.now();
const log = (message) => progressLog(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${message}`);

/** Part 1: a simulated worker and a bare IPC child, started together each round and read at the same moment. */
async function simulatedRounds(supervisor) {
  const samples = [];
  log(`simulated worker vs bare Node: ${rounds} rounds, ${SETTLE_MS / 1000} s settle`);
  for (let round = 0; round < rounds; round++) {
    const id = `memory-${round}`;
    const qr = supervisor.reach(id, 'qr');
    await supervisor.call('POST', '/start-session', { sessionId: id, engine: 'simulated' });
    await qr;
    const ready = supervisor.reach(id, 'ready');
    await supervisor.call('POST', `/sessions/${id}/simulate/scan`);
    await ready;
    const { child } = await bareFork();
    await delay(SETTLE_MS);
    const worker = memoryOf(supervisor.app.sessions.view(id).pid);
    const bare = memoryOf(child.pid);
    samples.push({ worker, bare });
    await endBare(child);
    await supervisor.call('DELETE', `/sessions/${id}`);
  }
  const pick = (side, key) => median(samples.map((sample) => sample[side][key]));
  const rss = { figure: pick('worker', 'rssMb'), reference: pick('bare', 'rssMb') };
  const pss = { figure: pick('worker', 'pssMb'), reference: pick('bare', 'pssMb') };
  return {
    rows: [
      row('simulated worker RSS', { figure: mb(rss.figure), reference: `${mb(rss.reference)} (bare Node + IPC)`, ratio: rss.figure / rss.reference, target: `≤ ${TARGET_RSS}×`, met: rss.figure / rss.reference <= TARGET_RSS }),
      row('simulated worker PSS', { figure: mb(pss.figure), reference: `${mb(pss.reference)} (bare Node + IPC)`, ratio: pss.figure / pss.reference }),
    ],
    raw: samples,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-memory-'));
let emulator;
let emulatorProblem;
try {
  const { startEmulator } = await import('@wsm/wa-web-emulator');
  emulator = await startEmulator();
} catch (error) {
  emulatorProblem = `the WhatsApp Web emulator is not available (${error.message.split('\n')[0]}): webjs part skipped`;
  log(emulatorProblem);
}
const supervisor = await startInProcess(emulator ? { CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs) } : {});
const rows = [];
const notes = [];
const raw = {};
try {
  const simulated = await simulatedRounds(supervisor);
  rows.push(...simulated.rows);
  raw.simulated = simulated.raw;
  if (emulator) {
    const webjs = await webjsSideBySide({ supervisor, emulator, dir, settleSeconds: webjsSettleSeconds, log }).catch((error) => {
      notes.push(`webjs part failed: ${error.message}`);
      log(error.stack);
      return undefined;
    });
    if (webjs) {
      rows.push(...webjs.rows);
      raw.webjs = webjs.raw;
      notes.push(
        'Both browsers run at the same time from the same Chromium binary, so PSS splits the pages they share between them; ' +
          'the process counts differ because our flags (apps/worker/src/engine/webjs/chromium.ts) keep one renderer, no zygote and the GPU in process.',
      );
    }
  } else {
    notes.push(emulatorProblem);
  }
} finally {
  log('closing');
  await supervisor.close();
  log('supervisor closed');
  await emulator?.close();
  log('emulator closed');
  rmSync(dir, { recursive: true, force: true });
}
log('done');
emit({
  name: 'memory',
  title: 'Memory at idle',
  how:
    `Simulated: ${rounds} rounds, each starting and linking one session (supervisor in-process) and forking bare-ipc.cjs, both read from ` +
    `/proc/<pid>/smaps_rollup after ${SETTLE_MS / 1000} s idle; medians. webjs: our session (supervisor, lean flags + the emulator's) and a plain ` +
    `\`new Client({ LocalAuth, webVersionCache: none, puppeteer: { headless, args: emulator + --no-sandbox } })\` started together, each linked by ` +
    `emulator.scan(qr); ${webjsSettleSeconds} s after both are ready, PSS summed over every process of each side's process groups (Node process + ` +
    "Chromium's group), median of 5 reads 1 s apart. No target for webjs.",
  rows,
  notes,
  raw,
});
