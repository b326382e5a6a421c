#!/usr/bin/env node
/**
 * A flag sweep for the webjs engine's memory: each variant is one linked `webjs` session on the WhatsApp Web
 * emulator, started by a supervisor of its own (bench/fixtures/webjs-variant.mjs) with our flags plus the variant's
 * Chromium flags and worker environment. Variants run in groups, and every group also holds `current` (our flags
 * as they are) and `defaults` (a plain whatsapp-web.js Client, bench/fixtures/webjs-defaults.mjs), all started
 * together: each variant is compared with the `current` of its own group, under the same load and sharing.
 * At each read time after the last of the group is ready, PSS is summed over each side's process groups (the Node
 * process + Chromium's group), median of 5 reads 1 s apart, alternating sides; CPU time is taken at ready (start
 * cost) and over the idle window. PSS splits the pages of Chromium's binary among every process mapping them, on
 * this whole machine: anonymous PSS (heaps, stacks) is given too, which other browsers running meanwhile do not move.
 *
 * Usage: node bench/benchmarks/webjs-flags.mjs [--rounds 2] [--group 4] [--at 30,90] [--only a,b] [--variant 'name=--flag --flag2'] [--list]
 *   --only    run these built-in variants only (`current` and `defaults` are always in)
 *   --variant an extra variant: its name, '=', its Chromium flags separated by spaces; worker env as ENV:NAME=value
 *             (ENV:CHROMIUM_PATH=… another browser; ENV:WORKER_ENTRY=… another worker bundle, e.g. one built from an
 *             earlier commit and copied beside apps/worker/dist/worker.cjs, for a before/after in one run)
 * Prints a JSON result like every benchmark (BENCH_OUT when run.mjs starts it); progress on stderr.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { atExit, killGroup, own, ownGroup } from '../lib/cleanup.mjs';
import { delay } from '../lib/delay.mjs';
import { cpuTimeMs, groupCpuTimeMs, groupMemory, pgidOf } from '../lib/proc.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { median } from '../lib/stats.mjs';

/**
 * The candidates: Chromium flags added after ours (`args`) and environment for the worker (`env`; a CHROMIUM_PATH
 * there picks the browser). Results of the sweep that chose our flags: docs/benchmarks.md, section 4.
 */
export const VARIANTS = {
  'network-in-process': { args: ['--enable-features=NetworkServiceInProcess2'] },
  'headless-shell': { args: [], env: { CHROMIUM_PATH: '/usr/bin/chromium-headless-shell' } },
  'js-optimize-for-size': { args: ['--js-flags=--optimize-for-size'] },
  'js-semi-space-1': { args: ['--js-flags=--max-semi-space-size=1'] },
  'js-old-space-128': { args: ['--js-flags=--max-old-space-size=128'] },
  'js-lite-mode': { args: ['--js-flags=--lite-mode'] },
  'low-end-device': { args: ['--enable-low-end-device-mode'] },
  'features-off': { args: ['--disable-features=BackForwardCache,PaintHolding,MediaSessionService,AudioServiceOutOfProcess,Vulkan,WebRtcHideLocalIpsWithMdns'] },
  'no-back-forward-cache': { args: ['--disable-back-forward-cache'] },
  'no-images': { args: ['--blink-settings=imagesEnabled=false'] },
  'no-software-rasterizer': { args: ['--disable-software-rasterizer'] },
  'no-gpu-compositing': { args: ['--disable-gpu-compositing'] },
  'no-audio-output': { args: ['--disable-audio-output'] },
  'process-per-site': { args: ['--process-per-site'] },
  'single-process': { args: ['--single-process'] },
  'worker-semi-space-1': { args: [], env: { NODE_OPTIONS: '--max-semi-space-size=1' } },
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    group: { type: 'string', default: '4' },
    at: { type: 'string', default: '30' },
    only: { type: 'string' },
    variant: { type: 'string', multiple: true, default: [] },
    list: { type: 'boolean', default: false },
  },
});
if (values.list) {
  for (const [name, variant] of Object.entries(VARIANTS)) console.log(`${name}\t${variant.args.join(' ')} ${JSON.stringify(variant.env ?? {})}`);
  process.exit(0);
}
const rounds = Number(values.rounds);
const groupSize = Number(values.group);
const readAt = values.at.split(',').map(Number);
const variantsAll = values.only ? Object.fromEntries(values.only.split(',').map((name) => [name, VARIANTS[name] ?? fail(`unknown variant ${name}`)])) : { ...VARIANTS };
// A variant needing a browser this machine does not have (apt-get install chromium-headless-shell) is left out.
const variants = Object.fromEntries(Object.entries(variantsAll).filter(([name, variant]) => {
  const path = variant.env?.CHROMIUM_PATH;
  if (path === undefined || existsSync(path)) return true;
  process.stderr.write(`webjs-flags: ${name} left out: no ${path}\n`);
  return false;
}));
for (const text of values.variant) {
  const [name, flags = ''] = text.split(/=(.*)/s);
  const words = flags.split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(words.filter((word) => word.startsWith('ENV:')).map((word) => word.slice(4).split(/=(.*)/s).slice(0, 2)));
  variants[name] = { args: words.filter((word) => !word.startsWith('ENV:')), env };
}
function fail(message) {
  process.stderr.write(`webjs-flags: ${message}\n`);
  process.exit(64);
}

const log = progress('webjs-flags');
const t0 = performance.now();
const say = (message) => log(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${message}`);
const TIMEOUT_MS = 240_000;
const READS = 5;

/** Starts one side (a variant of ours, or the whatsapp-web.js defaults); resolves once it is ready. */
function startSide(name, variant, emulator, dir) {
  const reference = name === 'defaults';
  const script = reference ? '../fixtures/webjs-defaults.mjs' : '../fixtures/webjs-variant.mjs';
  const chromiumArgs = [...emulator.chromiumArgs, ...(variant?.args ?? [])];
  const child = own(
    fork(fileURLToPath(new URL(script, import.meta.url)), [], {
      detached: true,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: {
        ...process.env,
        BENCH_CHROMIUM_ARGS: JSON.stringify(chromiumArgs),
        BENCH_WORKER_ENV: JSON.stringify(variant?.env ?? {}),
        BENCH_DATA_PATH: join(dir, name),
      },
    }),
  );
  const side = { name, child, nodePid: reference ? child.pid : undefined, browserPid: undefined };
  side.ready = new Promise((resolve, reject) => {
    let scanned = false;
    child.on('message', (message) => {
      if (message.browserPid !== undefined && side.browserPid === undefined) {
        side.browserPid = message.browserPid;
        ownGroup(message.browserPid);
      }
      if (message.type === 'qr' && !scanned) {
        scanned = true;
        emulator.scan(message.qr).catch(reject);
      }
      if (message.type === 'ready') {
        if (!reference) side.nodePid = message.workerPid;
        side.groups = [side.nodePid, pgidOf(side.browserPid)];
        side.startCpuMs = cpuOf(side);
        say(`${name} ready`);
        resolve();
      }
      if (message.type === 'error') reject(new Error(`${name}: ${message.message}`));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return side;
}

/** CPU time of the Node process (worker, or the reference client) and of the live browser tree, in ms. */
function cpuOf(side) {
  try {
    return cpuTimeMs(side.nodePid) + groupCpuTimeMs(side.groups[1]);
  } catch {
    return NaN;
  }
}

async function stopSide(side) {
  side.child.send('leave', () => undefined);
  if (side.child.exitCode === null) await once(side.child, 'exit', { signal: AbortSignal.timeout(15_000) }).catch(() => side.child.kill('SIGKILL'));
  if (side.browserPid !== undefined) killGroup(side.browserPid);
}

/** One group started together; answers per side { pss: {at: MB}, rss, processes, startCpuMs, idleCpuMsPerMin }. */
async function runGroup(names, emulator, dir) {
  say(`group: ${names.join(', ')}`);
  const sides = names.map((name) => startSide(name, variants[name], emulator, dir));
  const results = {};
  try {
    let timer;
    await Promise.race([
      Promise.all(sides.map((side) => side.ready)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not all ready in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const readyAt = performance.now();
    const idleFrom = sides.map((side) => cpuOf(side));
    for (const side of sides) results[side.name] = { pss: {}, anon: {}, rss: {}, processes: {}, startCpuMs: side.startCpuMs };
    for (const at of readAt) {
      await delay(Math.max(0, readyAt + at * 1000 - performance.now()));
      const reads = sides.map(() => []);
      for (let read = 0; read < READS; read++) {
        sides.forEach((side, index) => reads[index].push(groupMemory(side.groups)));
        await delay(1000);
      }
      sides.forEach((side, index) => {
        results[side.name].pss[at] = median(reads[index].map((sample) => sample.pssMb));
        results[side.name].rss[at] = median(reads[index].map((sample) => sample.rssMb));
        results[side.name].anon[at] = median(reads[index].map((sample) => sample.anonPssMb));
        results[side.name].processes[at] = median(reads[index].map((sample) => sample.processes));
      });
    }
    const idleMinutes = (performance.now() - readyAt) / 60_000;
    sides.forEach((side, index) => {
      results[side.name].idleCpuMsPerMin = (cpuOf(side) - idleFrom[index]) / idleMinutes;
    });
    say(`group read: ${sides.map((side) => `${side.name} ${results[side.name].pss[readAt[0]].toFixed(0)} MB (anon ${results[side.name].anon[readAt[0]].toFixed(0)})`).join(', ')}`);
    // The whole group as one line, so an interrupted sweep still leaves its figures.
    say(`group result ${JSON.stringify(results)}`);
    return results;
  } finally {
    await Promise.all(sides.map(stopSide));
  }
}

const { startEmulator } = await import('@wsm/wa-web-emulator');
const emulator = await startEmulator();
const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-webjs-flags-'));
// Also when the sweep is stopped halfway (SIGTERM, Ctrl-C): the browsers' profiles are tens of MB each.
atExit(() => rmSync(dir, { recursive: true, force: true }));
const candidates = Object.keys(variants);
const groups = [];
for (let index = 0; index < candidates.length; index += groupSize) groups.push(candidates.slice(index, index + groupSize));
const samples = Object.fromEntries(['current', 'defaults', ...candidates].map((name) => [name, []]));
const failures = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const [index, group] of groups.entries()) {
      const names = ['current', 'defaults', ...group];
      try {
        const results = await runGroup(names, emulator, join(dir, `r${round}g${index}`));
        for (const name of names) {
          samples[name].push({
            ...results[name],
            vsCurrent: ratioOf(results, name, 'current'),
            vsDefaults: ratioOf(results, name, 'defaults'),
            anonVsCurrent: ratioOf(results, name, 'current', 'anon'),
          });
        }
      } catch (error) {
        say(`group failed: ${error.message}`);
        failures.push({ round, group, error: error.message });
      }
    }
  }
} finally {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}

function ratioOf(results, name, base, key = 'pss') {
  return Object.fromEntries(readAt.map((at) => [at, results[name][key][at] / results[base][key][at]]));
}

const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const rows = [];
for (const [name, list] of Object.entries(samples)) {
  if (list.length === 0) continue;
  const at = (key) => readAt.map((time) => fmt(median(list.map((sample) => sample[key][time])), ['pss', 'anon'].includes(key) ? 0 : 2)).join(' / ');
  rows.push(
    row(name, {
      figure: `${at('pss')} MB PSS (anon ${at('anon')}); ${fmt(median(list.map((sample) => sample.processes[readAt[0]])))} processes`,
      reference: `vs current ${at('vsCurrent')}× (anon ${at('anonVsCurrent')}×); vs defaults ${at('vsDefaults')}×`,
      ratio: median(list.map((sample) => sample.vsDefaults[readAt.at(-1)])),
      target: `start CPU ${fmt(median(list.map((sample) => sample.startCpuMs)))} ms; idle ${fmt(median(list.map((sample) => sample.idleCpuMsPerMin)))} ms/min`,
    }),
  );
}
emit({
  name: 'webjs-flags',
  title: 'webjs flag sweep',
  how:
    `${rounds} round(s); groups of up to ${groupSize} variants, each group with current and defaults, all started together and linked on the emulator; ` +
    `PSS of Node process + Chromium tree at ${readAt.join(', ')} s after the group is ready (median of ${READS} reads), median over rounds; ` +
    'ratios are per group, then the median.',
  rows,
  notes: failures.map((failure) => `round ${failure.round}, group ${failure.group.join(',')}: ${failure.error}`),
  raw: samples,
});
process.exit(0);
