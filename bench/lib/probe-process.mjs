/**
 * The GET /sessions/:id probe (session-probe.mjs) in a process of its own, as a real API client is on a machine of
 * its own. In the benchmark's process, its sends and answers waited behind the emulator serving WhatsApp Web to
 * every browser, and that delay was charged to the server. Forked detached: a session of its own, so with the
 * kernel's autogroups it gets its own share of the CPUs rather than a slice of the benchmark's. `at` of the
 * timeline comes back on the caller's performance.now() clock.
 *
 * A client on a machine of its own is not starved by the sessions' browsers either: the probe asks for nice
 * PROBE_NICE (every thread, and its autogroup), which needs CAP_SYS_NICE (root), and reports the nice it got.
 * Measured with 50 webjs sessions on 2 cores: at nice 0 the probe's own wait for a CPU added ~15 ms to the p99
 * of a start and of a restore (64-90 ms against 47-51 ms at -15).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { probeSessions } from './session-probe.mjs';

const PROBE_NICE = -15;

/** The nice this process runs at after asking for `nice` on every thread and its autogroup. */
function raisePriority(nice) {
  try {
    for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), nice);
    writeFileSync('/proc/self/autogroup', String(nice));
  } catch {
    // Not privileged (or no autogroups): whatever was set stays, and is reported.
  }
  return getPriority();
}

/** Same as probeSessions, run in a child process: resolves once it is sending; the function it answers stops it. */
export async function probeSessionsApart(base, ids, rate, { headers = {} } = {}) {
  const child = fork(fileURLToPath(import.meta.url), ['--probe'], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send({ base, ids, rate, headers });
  const [first] = await once(child, 'message');
  if (first !== 'sending') throw new Error(`the probe process said ${JSON.stringify(first)}`);
  return async () => {
    child.send('stop');
    const [result] = await once(child, 'message');
    child.disconnect();
    // The child's clock starts at its own timeOrigin (both are wall-clock instants).
    const shift = result.timeOrigin - performance.timeOrigin;
    return { ...result, timeline: result.timeline.map((probe) => ({ at: probe.at + shift, ms: probe.ms })) };
  };
}

if (process.argv[2] === '--probe' && process.send !== undefined) {
  process.once('message', ({ base, ids, rate, headers }) => {
    const nice = raisePriority(PROBE_NICE);
    const stop = probeSessions(base, ids, rate, { headers });
    process.send('sending');
    process.once('message', async () => {
      const result = await stop();
      process.send({ ...result, nice, timeOrigin: performance.timeOrigin }, () => process.exit(0));
    });
  });
  // The benchmark went away without stopping the probe: so does the probe.
  process.once('disconnect', () => process.exit(0));
}
