/**
 * Inbound messages → webhook, measured (the events and cluster benchmarks): `drive` sends POST
 * /sessions/:id/simulate/inbound through `inbound(index, dueTime)`, the run waits (bounded) until the receiver
 * (webhook-receiver.mjs) has every message, and reports arrivals per second, latency from each message's due
 * time to its arrival, and the CPU each group of processes used. A side is { targets: [{ base, sessionId }],
 * processes: { label: [pid] or () => CPU ms so far }, headers }: message i goes to targets[i % targets.length].
 * The requests go out on undici's Pool (a pool per base, `inFlight` connections), the cheapest Node client measured
 * (webhook-post.ts in the supervisor): with node:http the generator itself took a whole core feeding the relay.
 */
import { Pool } from 'undici';
import { openLoop } from './open-loop.mjs';
import { cpuTimeMs } from './proc.mjs';
import { summarize } from './stats.mjs';

const monotonicMs = (now) => now + (Number(process.hrtime.bigint()) / 1e6 - performance.now());

/** CPU ms used so far by each group of processes, and by this process. */
function cpuNow(processes) {
  const used = { benchmark: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 };
  for (const [label, group] of Object.entries(processes)) {
    used[label] = typeof group === 'function' ? group() : group.reduce((sum, pid) => sum + cpuTimeMs(pid), 0);
  }
  return used;
}

export function inboundRuns({ receiver, from, inFlight, drainTimeoutMs }) {
  let runNumber = 0;
  /** Drives one run of inbound messages, waits for their arrival, measures it. */
  async function measure({ targets, processes, headers = {} }, drive) {
    const run = ++runNumber;
    const cpuBefore = cpuNow(processes);
    const pools = new Map(targets.map(({ base }) => [base, new Pool(base, { connections: inFlight })]));
    const sendHeaders = { ...headers, 'content-type': 'application/json' };
    const sentAt = new Map();
    let rejected = 0;
    const inbound = (index, at) => {
      const token = `r${run}-${index}`;
      const { base, sessionId } = targets[index % targets.length];
      sentAt.set(token, at);
      return pools
        .get(base)
        .request({ path: `/sessions/${sessionId}/simulate/inbound`, method: 'POST', headers: sendHeaders, body: JSON.stringify({ from, text: token }) })
        .then(async (answer) => {
          await answer.body.dump();
          if (answer.statusCode !== 200) rejected++;
        })
        .catch(() => rejected++);
    };
    const firstSend = performance.now();
    const { sendMs } = await drive(inbound);
    const tokens = [...sentAt.keys()];
    await receiver.waitFor(tokens, drainTimeoutMs);
    const cpuAfter = cpuNow(processes);
    const runMs = performance.now() - firstSend;
    await Promise.all([...pools.values()].map((pool) => pool.close()));
    const latencies = [];
    let lastArrival = firstSend;
    for (const token of tokens) {
      const arrived = receiver.arrivals.get(token);
      if (arrived === undefined) continue;
      latencies.push(arrived - sentAt.get(token));
      lastArrival = Math.max(lastArrival, arrived);
    }
    return {
      sent: tokens.length,
      rejected,
      delivered: latencies.length,
      acceptedPerSecond: ((tokens.length - rejected) / sendMs) * 1000,
      deliveredPerSecond: (latencies.length / (lastArrival - firstSend)) * 1000,
      latency: summarize(latencies),
      // Share of one core each group used over the run, sending and draining.
      cpu: Object.fromEntries(Object.keys(cpuAfter).map((label) => [label, (cpuAfter[label] - cpuBefore[label]) / runMs])),
      // CPU ms of every group together (this process included) per message delivered.
      cpuMsPerDelivered: Object.keys(cpuAfter).reduce((sum, label) => sum + cpuAfter[label] - cpuBefore[label], 0) / Math.max(1, latencies.length),
      window: { fromMs: monotonicMs(firstSend), toMs: monotonicMs(lastArrival) },
    };
  }
  return { measure };
}

/** Closed loop: `inFlight` requests always outstanding, spread over the targets, until `count` were sent. */
export const closedLoop = (count, inFlight) => async (inbound) => {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const index = next++;
        await inbound(index, performance.now());
      }
    }),
  );
  return { sendMs: performance.now() - started };
};

/** Open loop at `rate`/s for `seconds`; each message's latency counts from its due time. */
export const steadyLoop = (rate, seconds) => async (inbound) => {
  const load = openLoop({ rate, durationMs: seconds * 1000, send: inbound });
  await load.done;
  const { elapsedMs } = await load.finish();
  return { sendMs: elapsedMs };
};

/** What share of one core each group used, as text. */
export const cpuText = (run) => Object.entries(run.cpu).map(([label, share]) => `${label} ${Math.round(share * 100)}%`).join(', ');
