/**
 * GET /sessions/:id probed open loop (open-loop.mjs) at `rate`/s, round robin over `ids`, until the returned
 * function is called: latency counts from each probe's intended send time. Answers other than 200 and refused
 * connections (a supervisor not listening yet) are counted apart, not timed.
 */
import { jsonClient } from './http.mjs';
import { openLoop } from './open-loop.mjs';

export function probeSessions(base, ids, rate, { headers = {} } = {}) {
  const client = jsonClient(base, { maxSockets: 256, headers });
  const latencies = [];
  const timeline = [];
  let refused = 0;
  let failed = 0;
  const load = openLoop({
    rate,
    send: (index, intended) =>
      client
        .request('GET', `/sessions/${ids[index % ids.length]}`)
        .then((answer) => {
          if (answer.status === 200) {
            latencies.push(performance.now() - intended);
            timeline.push({ at: intended, ms: performance.now() - intended });
          } else failed++;
        })
        .catch(() => refused++),
  });
  return async () => {
    await load.finish();
    client.close();
    return { latencies, timeline, refused, failed };
  };
}
