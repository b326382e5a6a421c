/**
 * What a benchmark knows of many sessions, from the supervisor's session.status and session.qr events
 * (event-stream.mjs): every change with the supervisor's own timestamp, so phases are timed from the events
 * themselves, and a replayed stream (after a restart) is read the same way as a live one. Waiting is bounded
 * and never throws: a benchmark reports what did not happen instead of stopping at it.
 */
export function sessionTracker() {
  /** sessionId → { status, changes: [{ status, at }], qrs: [{ qr, at }] } */
  const sessions = new Map();
  const listeners = new Set();
  const entry = (sessionId) => {
    let found = sessions.get(sessionId);
    if (found === undefined) {
      found = { status: undefined, changes: [], qrs: [] };
      sessions.set(sessionId, found);
    }
    return found;
  };

  /** Feeds one event envelope. */
  const onEvent = (envelope) => {
    const session = entry(envelope.sessionId);
    const at = Date.parse(envelope.timestamp);
    if (envelope.type === 'session.status') {
      session.status = envelope.data.status;
      session.changes.push({ status: envelope.data.status, at, reason: envelope.data.reason });
    } else if (envelope.type === 'session.qr') {
      session.qrs.push({ qr: envelope.data.qr, at });
    }
    for (const listener of listeners) listener(envelope);
  };

  /** When `sessionId` first reached `status` at or after `since` (epoch ms), or undefined. */
  const firstAt = (sessionId, status, since) => entry(sessionId).changes.find((change) => change.status === status && change.at >= since)?.at;

  /**
   * Resolves true once `done()` holds, false once `timeoutMs` passes first; `done` is checked on every event
   * and every second. `every` (optional) is called every `everyMs` meanwhile (progress output).
   */
  const waitFor = (done, timeoutMs, { every, everyMs = 10_000 } = {}) =>
    new Promise((resolve) => {
      const finish = (met) => {
        listeners.delete(check);
        clearInterval(poll);
        clearInterval(report);
        clearTimeout(timer);
        resolve(met);
      };
      const check = () => {
        if (done()) finish(true);
      };
      listeners.add(check);
      const poll = setInterval(check, 1000);
      const report = every === undefined ? undefined : setInterval(every, everyMs);
      const timer = setTimeout(() => finish(false), timeoutMs);
      check();
    });

  /** Current statuses counted, e.g. { ready: 9, qr: 1 }. */
  const counts = (ids) => {
    const found = {};
    for (const id of ids) {
      const status = entry(id).status ?? 'unknown';
      found[status] = (found[status] ?? 0) + 1;
    }
    return found;
  };

  return {
    onEvent,
    session: entry,
    status: (sessionId) => entry(sessionId).status,
    firstAt,
    waitFor,
    counts,
    /** Calls `listener(envelope)` on every later event; returns the function that stops it. */
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
