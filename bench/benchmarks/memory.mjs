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

/**
 * What each webjs lever gave, measured with bench/benchmarks/webjs-flags.mjs on 2026-11-30 (commits c9043ef, bcf8819
 * and 6104527): each variant started together with our flags of the time and the whatsapp-web.js defaults, in
 * groups of 4-6 browsers; PSS 30 s after ready (and later); ratios against our flags in the same group.
 */
const WEBJS_LEVERS = [
  'Before (commit c9043ef): 298 MB vs 304 MB in this benchmark (0.98×); in the sweep our flags were 1.03-1.07× the defaults (5 groups). ' +
    "Headless Chromium is the full browser: it preloads the address bar's popup (chrome://omnibox-popup.top-chrome/ and its AI-mode twin) " +
    'in a renderer of its own, which --renderer-process-limit does not cover.',
  'Kept: --disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup, one process less, PSS 0.80× (159 vs 198 MB). ' +
    'Then --enable-features=NetworkServiceInProcess2 (the network service in the browser process), one more process less, PSS 0.89× ' +
    '(150 vs 168 MB), anonymous PSS 0.89× (132 vs 148 MB), start and idle CPU unchanged. Both together, in the sweep: 0.71× the defaults ' +
    '30 s after ready and 0.64× at 75 s (5 processes vs 10).',
  'Before and after in one run (webjs-flags.mjs --rounds 3 --group 2 --at 30,90, with the worker bundle of commit c9043ef as a variant): ' +
    'PSS 155 vs 229 MB at 30 s (0.68×) and 132 vs 194 MB at 90 s (0.68×), anonymous PSS 132 vs 194 MB (0.68×), 4 processes vs 6; ' +
    'the defaults 223 MB (ours 0.69×). CPU to get ready 2.76 vs 4.21 s, idle CPU 220 vs 299 ms/min. An A/A variant (our flags twice) ' +
    'gave 1.00× (0.93-1.00× per group).',
  'No measurable effect at idle (within the ±5% one group varies): --js-flags=--optimize-for-size (1.05×), --max-semi-space-size=1 (0.99×), ' +
    '--max-old-space-size=128 (1.00×), --lite-mode (0.99×): the emulator page uses 1.7 MB of a 3.9 MB JS heap, so V8 heap flags have nothing ' +
    'to shrink here. --enable-low-end-device-mode (1.00×); --disable-features=BackForwardCache,PaintHolding,MediaSessionService,' +
    'AudioServiceOutOfProcess,Vulkan,WebRtcHideLocalIpsWithMdns (0.97×, then 1.00× on the new flags); --disable-back-forward-cache (0.99×); ' +
    '--blink-settings=imagesEnabled=false (1.04×); --disable-software-rasterizer (0.99×); --disable-gpu-compositing (1.04×: puppeteer passes ' +
    'it already); --process-per-site (0.99×); --disable-audio-output (0.94×, then 0.93× and 1.00×: no audio process runs at idle; not kept, ' +
    "voice notes go through the page's audio); NODE_OPTIONS=--max-semi-space-size=1 for the worker (1.02×; the worker is 25-37 MB of PSS, " +
    'mostly the code of whatsapp-web.js and puppeteer).',
  'DevTools memory pressure at idle (Memory.simulatePressureNotification critical, or HeapProfiler.collectGarbage, 10 s after ready): ' +
    'PSS 20 s later 1.00× and 0.99×. Read on the page itself, pressure left the JS heap at 1.7 MB used, and a GC shrank it from 3.9 to 1.8 MB ' +
    'total: 2 MB, not worth a periodic timer. Not kept.',
  'Smaller but rejected: --single-process, PSS 0.61× (146 vs 239 MB): Chromium does not support it (a renderer crash takes the browser ' +
    'with it). chromium-headless-shell (apt-get install chromium-headless-shell, then CHROMIUM_PATH=/usr/bin/chromium-headless-shell, which ' +
    'the engine takes as it is): anonymous PSS 0.65× (97 vs 148 MB), idle CPU 59 vs 206 ms/min, start CPU 1.65 vs 2.26 s; its PSS alone ' +
    'was higher (225 vs 168 MB) only because nothing else mapped its binary. Worth it on a machine of many sessions; not the default, ' +
    'since it is another package.',
  'Real WhatsApp Web is a much larger page (a 30-60 MB JS heap, IndexedDB, a service worker, images and media in chats). There the V8 flags ' +
    'would matter (--optimize-for-size and a small semi-space trade CPU for a smaller heap; --max-old-space-size must stay well above the heap ' +
    'or the tab dies), pressure and a GC at idle could give back tens of MB for a while, and the service worker may take a renderer of its ' +
    'own (the process limit is a soft one). The two kept flags remove whole processes that do not depend on the page, so their saving ' +
    '(about 60 MB here) should carry over.',
];

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
        'Both browsers run at the same time from the same Chromium binary, so PSS splits the pages they share between them (and with any other ' +
          "Chromium on the machine: one reading here moved by 200 MB within a minute when another program's browsers exited). Anonymous PSS " +
          '(heaps, stacks) does not move with that, so it is given too. The process counts differ because our flags ' +
          '(apps/worker/src/engine/webjs/chromium.ts) keep one renderer, no zygote, the GPU and the network service in the browser process, and ' +
          'no omnibox-popup renderer.',
        ...WEBJS_LEVERS,
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
    "Chromium's group), median of 5 reads 1 s apart; anonymous PSS is Pss_Anon + Pss_Shmem of the same processes. " +
    'Target from issue 13: ≤ 0.8× the defaults. Each flag was chosen with bench/benchmarks/webjs-flags.mjs (notes below).',
  rows,
  notes,
  raw,
});
