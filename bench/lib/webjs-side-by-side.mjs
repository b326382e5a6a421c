/**
 * The webjs half of the memory benchmark: one `webjs` session started by the supervisor (our Chromium flags)
 * and a plain whatsapp-web.js Client with its defaults in its own process, started together and linked on the
 * WhatsApp Web emulator; after the same settle time, PSS summed over every process of each side's process groups.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup, own, ownGroup } from './cleanup.mjs';
import { delay } from './delay.mjs';
import { mb } from './format.mjs';
import { groupMemory, pgidOf } from './proc.mjs';
import { row } from './result.mjs';
import { median } from './stats.mjs';

const WEBJS_TIMEOUT_MS = 120_000;
/** Issue 13: one idle session at most 0.8× whatsapp-web.js with its defaults. */
const TARGET_PSS = 0.8;

/**
 * The plain whatsapp-web.js client in its own process group, linked through the emulator like our session:
 * { child, browserPid, ready } (ready resolves once it is linked). Ended with stopReference.
 */
export async function startReference(emulator, dir, log) {
  const child = own(
    fork(fileURLToPath(new URL('../fixtures/webjs-defaults.mjs', import.meta.url)), [], {
      detached: true,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs), BENCH_DATA_PATH: join(dir, 'webjs-defaults') },
    }),
  );
  const state = { child, browserPid: undefined };
  state.ready = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.browserPid !== undefined && state.browserPid === undefined) {
        state.browserPid = message.browserPid;
        // Puppeteer starts Chromium detached: its pid leads its group, which must not outlive this run.
        ownGroup(message.browserPid);
      }
      if (message.type === 'qr' && !state.scanned) {
        state.scanned = true;
        emulator.scan(message.qr).catch(reject);
      }
      if (message.type === 'ready') {
        log('the whatsapp-web.js reference is ready');
        resolve();
      }
      if (message.type === 'error') reject(new Error(`whatsapp-web.js reference failed: ${message.message}`));
    });
    child.once('exit', (code) => reject(new Error(`whatsapp-web.js reference exited with ${code}`)));
  });
  return state;
}

/** Our session through `supervisor` (in-process) vs whatsapp-web.js defaults; `log` reports progress. */
export async function webjsSideBySide({ supervisor, emulator, dir, settleSeconds, log }) {
  log('webjs: our session and a plain whatsapp-web.js client, linked on the emulator');
  const reference = await startReference(emulator, dir, log);
  const ours = (async () => {
    const qr = supervisor.reach('webjs', 'qr', WEBJS_TIMEOUT_MS);
    await supervisor.call('POST', '/start-session', { sessionId: 'webjs', engine: 'webjs' });
    await qr;
    const ready = supervisor.reach('webjs', 'ready', WEBJS_TIMEOUT_MS);
    await emulator.scan((await supervisor.call('GET', '/sessions/webjs/qr')).qr);
    await ready;
    log('our webjs session is ready');
  })();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`webjs sessions not ready in ${WEBJS_TIMEOUT_MS} ms`)), WEBJS_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.all([ours, reference.ready]), timeout]).finally(() => clearTimeout(timer));
    log(`both ready; settling ${settleSeconds} s`);
    await delay(settleSeconds * 1000);
    const session = supervisor.app.sessions.view('webjs');
    const oursGroups = [session.pid, pgidOf(session.browserPid)];
    const referenceGroups = [reference.child.pid, pgidOf(reference.browserPid)];
    // Five reads a second apart, alternating sides; the median of each.
    const reads = { ours: [], reference: [] };
    for (let read = 0; read < 5; read++) {
      reads.ours.push(groupMemory(oursGroups));
      reads.reference.push(groupMemory(referenceGroups));
      await delay(1000);
    }
    const pick = (side, key) => median(reads[side].map((sample) => sample[key]));
    const pss = { figure: pick('ours', 'pssMb'), reference: pick('reference', 'pssMb') };
    const rss = { figure: pick('ours', 'rssMb'), reference: pick('reference', 'rssMb') };
    const anon = { figure: pick('ours', 'anonPssMb'), reference: pick('reference', 'anonPssMb') };
    const processes = { figure: pick('ours', 'processes'), reference: pick('reference', 'processes') };
    return {
      rows: [
        row('webjs session PSS (worker + Chromium tree)', {
          figure: mb(pss.figure),
          reference: `${mb(pss.reference)} (whatsapp-web.js defaults)`,
          ratio: pss.figure / pss.reference,
          target: `≤ ${TARGET_PSS}×`,
          met: pss.figure / pss.reference <= TARGET_PSS,
        }),
        row('webjs session anonymous PSS (heaps, stacks: not shared with the binary)', { figure: mb(anon.figure), reference: mb(anon.reference), ratio: anon.figure / anon.reference }),
        row('webjs session RSS sum (double-counts shared pages)', { figure: mb(rss.figure), reference: mb(rss.reference), ratio: rss.figure / rss.reference }),
        row('webjs processes', { figure: String(processes.figure), reference: String(processes.reference), ratio: processes.figure / processes.reference }),
      ],
      raw: reads,
    };
  } finally {
    log('stopping the reference');
    await stopReference(reference);
  }
}

/** Asks the reference to leave, then kills its browser's group whatever it did. */
export async function stopReference(reference) {
  reference.child.send('leave', () => undefined);
  if (reference.child.exitCode === null) await once(reference.child, 'exit', { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (reference.browserPid !== undefined) killGroup(reference.browserPid);
}
