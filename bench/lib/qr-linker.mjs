/**
 * Links sessions on the WhatsApp Web emulator the way a person would, but at once: each QR a session shows
 * (its session.qr event, through session-tracker.mjs) is scanned as soon as it is seen.
 */

/**
 * Links every session of `ids` by scanning the QR it shows, as soon as it shows it; a scan refused (a QR
 * refreshed away meanwhile) is tried again with the newest QR. Returns { stop, failures }.
 */
export function linkOnQr(tracker, emulator, ids) {
  const wanted = new Set(ids);
  const state = new Map();
  const failures = [];
  const scan = (sessionId) => {
    const session = state.get(sessionId);
    if (session.scanning || session.linked) return;
    const qr = session.latest;
    session.scanning = true;
    emulator
      .scan(qr)
      .then(() => {
        session.linked = true;
      })
      .catch((error) => failures.push(`${sessionId}: ${error.message}`))
      .finally(() => {
        session.scanning = false;
        if (!session.linked && session.latest !== qr) scan(sessionId);
      });
  };
  const stop = tracker.listen((envelope) => {
    if (envelope.type !== 'session.qr' || !wanted.has(envelope.sessionId)) return;
    const session = state.get(envelope.sessionId) ?? { scanning: false, linked: false };
    session.latest = envelope.data.qr;
    state.set(envelope.sessionId, session);
    scan(envelope.sessionId);
  });
  return { stop, failures };
}
