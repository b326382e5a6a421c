/**
 * An open-loop load: request i is due at start + i/rate whatever happened to the earlier ones, and its latency
 * counts from that due time, so a stalled server cannot hide its stall by slowing the sender down
 * (no coordinated omission). A 1 ms tick sends whatever is due; the tick adds at most ~1 ms.
 */
export function openLoop({ rate, durationMs = Infinity, send }) {
  const pending = new Set();
  let sent = 0;
  const started = performance.now();
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });
  const tick = () => {
    const elapsed = performance.now() - started;
    const due = Math.floor((Math.min(elapsed, durationMs) / 1000) * rate) + 1;
    for (; sent < due && (sent * 1000) / rate < durationMs; sent++) {
      const request = Promise.resolve(send(sent, started + (sent * 1000) / rate)).finally(() => pending.delete(request));
      pending.add(request);
    }
    if (elapsed >= durationMs) stop();
  };
  const timer = setInterval(tick, 1);
  function stop() {
    clearInterval(timer);
    resolveDone();
  }
  tick();
  /** Stops sending (if it has not ended by itself) and resolves once every request sent has finished. */
  const finish = async () => {
    stop();
    await done;
    await Promise.allSettled([...pending]);
    return { sent, elapsedMs: performance.now() - started };
  };
  return { done, finish, started };
}
