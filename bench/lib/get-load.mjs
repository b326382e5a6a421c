/**
 * A closed-loop GET load with autocannon in this process: `connections` keep-alive connections for `seconds`,
 * the path cycling through `paths` (so no one entry stays hot). Any non-2xx answer, error or timeout fails the
 * run. Also the CPU each server process used meanwhile (`processes`: { label: pid }), per request and as a share
 * of one core.
 */
import autocannon from 'autocannon';
import { cpuTimeMs } from './proc.mjs';

// The clock of V8's profiles, for the window a profiling run looks at.
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

export async function loadGets({ base, paths, connections, seconds, headers = {}, processes }) {
  let next = 0;
  const cpuBefore = Object.fromEntries(Object.entries(processes).map(([label, pid]) => [label, cpuTimeMs(pid)]));
  const startedMs = monotonicMs();
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    headers,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }) }],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${base}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  const cpu = Object.fromEntries(
    Object.entries(processes).map(([label, pid]) => {
      const usedMs = cpuTimeMs(pid) - cpuBefore[label];
      return [label, { share: usedMs / (seconds * 1000), usPerRequest: (usedMs * 1000) / result.requests.total }];
    }),
  );
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    cpu,
    window: { fromMs: startedMs, toMs: monotonicMs() },
  };
}
