/**
 * The GET /sessions/:id probe (session-probe.mjs) on a worker thread of its own: a benchmark whose main thread
 * also serves the emulator or reads /proc synchronously would otherwise delay the probe's sends and answers,
 * and charge that delay to the server. `at` of the timeline comes back on the caller's performance.now() clock.
 */
import { once } from 'node:events';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { probeSessions } from './session-probe.mjs';

/** Same as probeSessions, run on a thread: resolves once it is sending; the function it answers stops it. */
export async function probeSessionsInThread(base, ids, rate, { headers = {} } = {}) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { base, ids, rate, headers } });
  await once(worker, 'message');
  return async () => {
    worker.postMessage('stop');
    const [result] = await once(worker, 'message');
    await worker.terminate();
    // The thread's clock starts at its own timeOrigin.
    const shift = result.timeOrigin - performance.timeOrigin;
    return { ...result, timeline: result.timeline.map((probe) => ({ at: probe.at + shift, ms: probe.ms })) };
  };
}

if (!isMainThread && workerData?.ids !== undefined) {
  const stop = probeSessions(workerData.base, workerData.ids, workerData.rate, { headers: workerData.headers });
  parentPort.postMessage('sending');
  parentPort.once('message', async () => {
    const result = await stop();
    parentPort.postMessage({ ...result, timeOrigin: performance.timeOrigin });
  });
}
