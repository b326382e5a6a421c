#!/usr/bin/env node
/**
 * Runs the whole benchmark suite and writes docs/benchmarks.md (`pnpm bench` builds first).
 * Each benchmark runs in its own child process, so one's memory and GC do not skew the next; each is bounded
 * in time. A benchmark that misses a target is run once more with --cpu-prof on the process that does the work,
 * and the profile's summary goes under its table.
 * Usage: node bench/run.mjs [--update] [name ...]
 *   no names: everything but the `optional` benchmarks (they take minutes), and docs/benchmarks.md is rewritten,
 *   keeping the optional ones' sections as they were
 *   names: those only; their results are printed and the page left alone, or with --update their sections of
 *   the page are replaced (each saying when it was measured) and every other section is kept
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import { describeProfile, summarizeProfile } from './lib/profile.mjs';
import { readProfile } from './lib/readings.mjs';
import { carryOver, renderReport, updateReport } from './lib/report.mjs';
import { ratio } from './lib/format.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT = join(ROOT, 'docs', 'benchmarks.md');

/**
 * `inProcess`: the supervisor runs inside the benchmark process, so that process is the one to profile;
 * otherwise the benchmark starts the supervisor as its own process and profiles it when BENCH_PROFILE_DIR is set.
 * `profileArgs`: a shorter run that still shows where the time goes.
 */
const BENCHMARKS = [
  { name: 'spawn', args: ['30'], profileArgs: ['15'], inProcess: true, timeoutMs: 120_000 },
  { name: 'recovery', args: ['25'], profileArgs: ['12'], inProcess: true, timeoutMs: 120_000 },
  { name: 'api', args: ['5', '5'], profileArgs: ['5', '1'], timeoutMs: 180_000 },
  { name: 'memory', args: ['5', '30'], inProcess: true, profile: false, timeoutMs: 240_000 },
  { name: 'webjs', args: ['5'], inProcess: true, profile: false, timeoutMs: 240_000 },
  { name: 'scale', args: ['200'], profileArgs: ['200'], timeoutMs: 300_000 },
  { name: 'events', args: ['10000', '10'], profileArgs: ['5000', '10'], timeoutMs: 300_000 },
  // Profiles a forwarding node itself; it sets no target, so run.mjs never re-runs it.
  { name: 'cluster', args: [], profile: false, timeoutMs: 600_000 },
  // Profiles a supervisor taking uploads itself; no target either.
  { name: 'media', args: ['20', '5', '100'], profile: false, timeoutMs: 600_000 },
  // N webjs sessions (SESSIONS_N, default 50): minutes, so only when named; a profiling re-run would take as long again.
  { name: 'sessions-n', args: [], profile: false, optional: true, timeoutMs: 40 * 60_000 },
];

/** Runs one benchmark script in a child process of its own group; resolves with its JSON result. */
async function runChild(benchmark, { args, profileDir }) {
  const out = join(workDir, `${benchmark.name}-${profileDir ? 'profile' : 'result'}.json`);
  const execArgv = profileDir && benchmark.inProcess ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const script = join(ROOT, 'bench', 'benchmarks', `${benchmark.name}.mjs`);
  const child = spawn(process.execPath, [...execArgv, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, BENCH_OUT: out, ...(profileDir ? { BENCH_PROFILE_DIR: profileDir } : {}) },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const exited = once(child, 'exit');
  const overrun = setTimeout(() => {
    process.stderr.write(`[run] ${benchmark.name} overran ${benchmark.timeoutMs / 1000} s: stopping it\n`);
    child.kill('SIGTERM');
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone
      }
    }, 5000).unref();
  }, benchmark.timeoutMs);
  const [code, signal] = await exited;
  clearTimeout(overrun);
  if (code !== 0) throw new Error(`${benchmark.name} exited with ${signal ?? code}`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

/**
 * The profile that did the most work in a profiling re-run, summarised in one line; a benchmark may name the
 * window that matters (`profileWindow`, ms from the process start; e.g. scale: while its slowest answers waited).
 */
function profileSummary(profileDir, benchmark, window) {
  const files = readdirSync(profileDir).filter((file) => file.endsWith('.cpuprofile'));
  const summaries = files.map((file) => summarizeProfile(join(profileDir, file), 10, window));
  summaries.sort((a, b) => b.busyMs - a.busyMs);
  const busiest = summaries[0];
  if (busiest === undefined) return undefined;
  return {
    role: benchmark.inProcess ? 'the benchmark process, which hosts the supervisor' : 'the supervisor process',
    summary: describeProfile(busiest, 6),
    explanation: readProfile(busiest),
    detail: busiest,
  };
}

const update = process.argv.includes('--update');
const only = process.argv.slice(2).filter((arg) => arg !== '--update');
if (update && only.length === 0) {
  console.error('--update needs the names of the benchmarks whose sections it replaces (without names, the whole page is rewritten anyway)');
  process.exit(2);
}
const unknown = only.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = only.length > 0 ? BENCHMARKS.filter((benchmark) => only.includes(benchmark.name)) : BENCHMARKS.filter((benchmark) => !benchmark.optional);
const workDir = mkdtempSync(join(tmpdir(), 'wsm-bench-run-'));
const machine = describeMachine(ROOT);
const started = performance.now();
const results = [];
for (const benchmark of selected) {
  process.stderr.write(`[run] ${benchmark.name}\n`);
  const began = performance.now();
  let result;
  try {
    result = await runChild(benchmark, { args: benchmark.args });
  } catch (error) {
    results.push({ name: benchmark.name, error: error.message });
    continue;
  }
  const missed = result.rows.filter((row) => row.met === false);
  process.stderr.write(
    `[run] ${benchmark.name}: ${Math.round((performance.now() - began) / 1000)} s; ` +
      `${result.rows.filter((row) => row.target !== null).map((row) => `${row.measure} ${row.figure} (${row.ratio === null ? '' : ratio(row.ratio)}) ${row.met ? 'met' : 'MISSED'}`).join('; ')}\n`,
  );
  if (missed.length > 0 && benchmark.profile !== false) {
    const profileDir = join(workDir, `${benchmark.name}-profiles`);
    mkdirSync(profileDir);
    process.stderr.write(`[run] ${benchmark.name} missed a target: profiling a re-run\n`);
    try {
      const rerun = await runChild(benchmark, { args: benchmark.profileArgs ?? benchmark.args, profileDir });
      result.profile = profileSummary(profileDir, benchmark, rerun.profileWindow);
    } catch (error) {
      result.profile = { role: 'the re-run', summary: `profiling failed: ${error.message}` };
    }
  }
  results.push(result);
}
const totalSeconds = (performance.now() - started) / 1000;

if (only.length === 0) {
  const rendered = renderReport({ machine, results, totalSeconds });
  const optional = BENCHMARKS.filter((benchmark) => benchmark.optional).map((benchmark) => benchmark.name);
  writeFileSync(REPORT, existsSync(REPORT) ? carryOver(rendered, readFileSync(REPORT, 'utf8'), optional) : rendered);
  process.stderr.write(`[run] wrote ${REPORT} in ${Math.round(totalSeconds)} s\n`);
} else if (update) {
  // A failed run leaves its section as it was: the page keeps the last figures honestly obtained.
  const failed = results.filter((result) => result.error);
  for (const result of failed) process.stderr.write(`[run] ${result.name} failed (${result.error}): its section is left as it was\n`);
  const finished = results.filter((result) => !result.error);
  if (finished.length > 0) {
    writeFileSync(REPORT, updateReport(readFileSync(REPORT, 'utf8'), { machine, results: finished }));
    process.stderr.write(`[run] replaced the section(s) ${finished.map((result) => result.name).join(', ')} of ${REPORT} in ${Math.round(totalSeconds)} s\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
} else {
  console.log(JSON.stringify({ machine, results }, null, 2));
}
rmSync(workDir, { recursive: true, force: true });
