#!/usr/bin/env node
/**
 * The real engine's timings on the WhatsApp Web emulator (whatsapp-web.js + Debian's Chromium, nothing mocked
 * but WhatsApp's servers): POST /start-session → `qr` of a webjs session, against a plain whatsapp-web.js client
 * with its defaults forked to its first `qr` event; and kill -9 of a ready worker → `ready` again from its saved
 * profile (RESTART_BACKOFF_MS=0), against the same rounds' start → `qr`. Rounds interleave the two sides.
 * Usage: node bench/benchmarks/webjs.mjs [rounds]   (after `pnpm build`)
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '@wsm/wa-web-emulator';
import { ms } from '../lib/format.mjs';
import { startInProcess } from '../lib/in-process.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { summarize } from '../lib/stats.mjs';

const rounds = Number(process.argv[2] ?? 5);
const WARMUP = 1;
const log = progress('webjs');
const DEFAULTS = fileURLToPath(new URL('../fixtures/webjs-defaults.mjs', import.meta.url));

const emulator = await startEmulator();
const supervisor = await startInProcess({
  DEFAULT_ENGINE: 'webjs',
  CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs),
  RESTART_BACKOFF_MS: '0',
  HEARTBEAT_TIMEOUT_MS: '20000',
});
const { app } = supervisor;

/** A plain whatsapp-web.js client, defaults only: fork → first `qr` event. */
async function defaultsToQr() {
  const dataPath = mkdtempSync(join(tmpdir(), 'wsm-bench-wwebjs-'));
  const started = performance.now();
  const child = fork(DEFAULTS, [], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    execArgv: [],
    env: { ...process.env, BENCH_CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs), BENCH_DATA_PATH: dataPath },
  });
  const [message] = await once(child, 'message');
  const elapsed = performance.now() - started;
  if (message.type !== 'qr') throw new Error(`whatsapp-web.js defaults: ${message.message}`);
  child.send('leave');
  await once(child, 'exit');
  rmSync(dataPath, { recursive: true, force: true });
  return elapsed;
}

const starts = [];
const references = [];
const recoveries = [];
log(`${rounds} rounds after ${WARMUP} warm-up round`);
for (let round = 0; round < rounds + WARMUP; round++) {
  const id = `webjs-${round}`;
  const started = performance.now();
  const qr = supervisor.reach(id, 'qr');
  await supervisor.call('POST', '/start-session', { sessionId: id });
  const start = (await qr) - started;

  const ready = supervisor.reach(id, 'ready');
  const { qr: code } = await supervisor.call('GET', `/sessions/${id}/qr`);
  await emulator.scan(code);
  await ready;

  const { pid } = app.sessions.view(id);
  const back = supervisor.reach(id, 'ready');
  const killed = performance.now();
  process.kill(pid, 'SIGKILL');
  const recovery = (await back) - killed;
  await supervisor.call('DELETE', `/sessions/${id}`);

  const reference = await defaultsToQr();
  if (round >= WARMUP) {
    starts.push(start);
    recoveries.push(recovery);
    references.push(reference);
  }
  log(`round ${round}: start→qr ${ms(start)}, kill→ready ${ms(recovery)}, whatsapp-web.js defaults →qr ${ms(reference)}`);
}
await supervisor.close();
await emulator.close();

const start = summarize(starts);
const reference = summarize(references);
const recovery = summarize(recoveries);
emit({
  name: 'webjs',
  title: 'The real engine: whatsapp-web.js on Chromium against the emulator',
  how: `${rounds} interleaved rounds (${WARMUP} warm-up dropped), supervisor in-process with the emulator's Chromium flags and RESTART_BACKOFF_MS=0. start→qr: POST /start-session of a new webjs session until the manager emits \`qr\` (Chromium launch, page load, whatsapp-web.js injection); reference: a plain whatsapp-web.js client with its defaults, forked, to its first \`qr\` event. kill→ready: the session is scanned, its worker SIGKILLed, and timed until \`ready\` from the saved profile, without a QR.`,
  rows: [
    row('start→qr, median', { figure: ms(start.median), reference: `${ms(reference.median)} (whatsapp-web.js defaults)`, ratio: start.median / reference.median }),
    row('start→qr, p90', { figure: ms(start.p90), reference: `${ms(reference.p90)} (whatsapp-web.js defaults)`, ratio: start.p90 / reference.p90 }),
    row('kill -9 → ready, median', { figure: ms(recovery.median), reference: `${ms(start.median)} (start→qr)`, ratio: recovery.median / start.median }),
  ],
  notes: [],
  raw: { starts, references, recoveries },
});
