/**
 * One session: what it is now (live), its actions, its QR code while it waits for the phone (fetched again on
 * every `session.qr` event), a pairing code, its last events (from the page's event stream), its recent log
 * records and a screenshot of its WhatsApp Web page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, imageUrl, json, sessionPath } from '../api.js';
import type { Envelope, LogRecord, PairingCode, Session } from '../api-types.js';
import { announce, OutcomeLine, Panel, StatusBadge, useConfirm, type Outcome } from '../components.js';
import { account, bytes, clock, time } from '../format.js';
import { useLive, useLoad } from '../hooks.js';
import type { LiveSessions } from '../live.js';
import { SessionEvents } from '../session-events.js';
import { errorInWords, STATUS_WORDS } from '../words.js';

const describeError = (error: unknown): string =>
  error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);

export function SessionView({ live, sessionId }: { live: LiveSessions; sessionId: string }) {
  useLive(live);
  const session = live.sessions.get(sessionId);
  const status = session?.status;

  // The status in words for screen readers, as it changes.
  const previous = useRef(status);
  useEffect(() => {
    if (status !== undefined && previous.current !== undefined && status !== previous.current) {
      announce(`${sessionId} is now ${status}: ${STATUS_WORDS[status]}`);
    }
    previous.current = status;
  }, [status, sessionId]);

  useEffect(() => live.refresh(sessionId), [live, sessionId]);

  const [stream, setStream] = useState<SessionEvents | undefined>(undefined);
  useEffect(() => {
    const opened = new SessionEvents(sessionId, live.firstEventId);
    setStream(opened);
    return () => opened.close();
  }, [live, sessionId]);

  if (session === undefined) {
    return (
      <>
        <p>
          <a href="#/">← All sessions</a>
        </p>
        <h1>{sessionId}</h1>
        <p class="lede">{live.loaded ? 'No session has this id (it may have been deleted).' : 'Loading…'}</p>
      </>
    );
  }

  return (
    <>
      <p>
        <a href="#/">← All sessions</a>
      </p>
      <div class="view-head">
        <h1 class="session-title">
          {session.sessionId} <StatusBadge status={session.status} />
        </h1>
        <p class="lede" data-field="status-words">
          {STATUS_WORDS[session.status]}
        </p>
      </div>
      <div class="detail-grid">
        <div class="stack">
          <Facts session={session} />
          <Actions live={live} session={session} />
        </div>
        <div class="stack">
          <QrPanel live={live} session={session} />
          <ScreenshotPanel session={session} />
        </div>
        <EventsPanel stream={stream} sessionId={sessionId} />
        <LogsPanel stream={stream} sessionId={sessionId} />
      </div>
    </>
  );
}

function Facts({ session }: { session: Session }) {
  const { lastError, memory } = session;
  return (
    <Panel title="Now" id="facts-title">
      <dl class="facts">
        <dt>Engine</dt>
        <dd>{session.engine}</dd>
        <dt>Meant to be</dt>
        <dd>{session.desiredState}</dd>
        <dt>Account</dt>
        <dd data-field="me">{account(session)}</dd>
        <dt>Node</dt>
        <dd>{session.node ?? 'this one'}</dd>
        <dt>Memory</dt>
        <dd>
          {memory === null
            ? '—'
            : `${bytes(memory.totalBytes)} (worker ${bytes(memory.workerBytes)}${memory.browserBytes === 0 ? '' : `, browser ${bytes(memory.browserBytes)}`}; ${memory.processes} process${memory.processes === 1 ? '' : 'es'})`}
        </dd>
        <dt>Restarts</dt>
        <dd>{session.restarts}</dd>
        <dt>Worker pid</dt>
        <dd>{session.pid ?? '—'}</dd>
        <dt>Started</dt>
        <dd>{time(session.startedAt)}</dd>
        <dt>Ready since</dt>
        <dd>{time(session.readyAt)}</dd>
        {session.proxy === null ? null : (
          <>
            <dt>Proxy</dt>
            <dd>{session.proxy}</dd>
          </>
        )}
      </dl>
      {lastError === null ? null : (
        <div class="last-error-box" data-field="lastError">
          <h3>Last error</h3>
          <p class="error-words">{errorInWords(lastError)}</p>
          <p class="error-detail">
            <code>{lastError.code}</code> · {lastError.message} · {time(lastError.at)}
          </p>
        </div>
      )}
    </Panel>
  );
}

type Action = 'start' | 'stop' | 'restart' | 'logout' | 'delete';

function Actions({ live, session }: { live: LiveSessions; session: Session }) {
  const [confirmDialog, ask] = useConfirm();
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [busy, setBusy] = useState<Action | undefined>(undefined);
  const { sessionId } = session;

  const run = async (action: Action): Promise<void> => {
    if (action === 'logout' || action === 'delete') {
      const confirmed = await ask(
        action === 'delete'
          ? { title: `Delete ${sessionId}?`, text: 'Its worker is stopped and its pairing, files and logs are removed. This cannot be undone.', confirm: 'Delete' }
          : { title: `Log ${sessionId} out?`, text: 'The device is unlinked from the phone; the next start shows a new QR code.', confirm: 'Log out' },
      );
      if (!confirmed) return;
    }
    setBusy(action);
    try {
      if (action === 'delete') {
        await json('DELETE', sessionPath(sessionId));
        live.remove(sessionId);
        announce(`Deleted ${sessionId}`);
        location.hash = '#/';
        return;
      }
      const updated = await json<Session>('POST', sessionPath(sessionId, `/${action}`));
      live.put(updated);
      const text = `${action[0]!.toUpperCase()}${action.slice(1)}: ${updated.status}.`;
      setOutcome({ ok: true, text });
    } catch (error) {
      setOutcome({ ok: false, text: describeError(error) });
    } finally {
      setBusy(undefined);
    }
  };

  const running = session.desiredState === 'running';
  const button = (action: Action, label: string, extra: { danger?: boolean; disabled?: boolean } = {}) => (
    <button type="button" class={extra.danger === true ? 'danger' : ''} disabled={busy !== undefined || extra.disabled === true} onClick={() => void run(action)}>
      {busy === action ? `${label}…` : label}
    </button>
  );

  return (
    <Panel title="Actions" id="actions-title">
      <div class="button-row">
        {button('start', 'Start', { disabled: running && session.status !== 'failed' })}
        {button('stop', 'Stop', { disabled: !running && session.status === 'stopped' })}
        {button('restart', 'Restart')}
        {button('logout', 'Log out', { danger: true })}
        {button('delete', 'Delete', { danger: true })}
      </div>
      <OutcomeLine outcome={outcome} />
      {confirmDialog}
    </Panel>
  );
}

function QrPanel({ live, session }: { live: LiveSessions; session: Session }) {
  const { sessionId, status } = session;
  const [qr, setQr] = useState<{ url: string; attempt: number } | undefined>(undefined);
  const [qrError, setQrError] = useState<string | undefined>(undefined);
  const [phone, setPhone] = useState('');
  const [pairing, setPairing] = useState<Outcome | undefined>(undefined);

  useEffect(() => {
    if (status !== 'qr') {
      setQr(undefined);
      return;
    }
    let attempt = 0;
    let current: string | undefined;
    let cancelled = false;
    const fetchQr = async (): Promise<void> => {
      try {
        const url = await imageUrl(sessionPath(sessionId, '/qr?format=png'));
        if (cancelled) return URL.revokeObjectURL(url);
        if (current !== undefined) URL.revokeObjectURL(current);
        current = url;
        setQr({ url, attempt });
        setQrError(undefined);
      } catch (error) {
        if (!cancelled) setQrError(describeError(error));
      }
    };
    void fetchQr();
    const stop = live.onEvent((event) => {
      if (event.sessionId !== sessionId || event.type !== 'session.qr') return;
      attempt = Number(event.data.attempt ?? attempt + 1);
      void fetchQr();
      announce(`New QR code for ${sessionId}`);
    });
    return () => {
      cancelled = true;
      stop();
      if (current !== undefined) URL.revokeObjectURL(current);
      setQr(undefined);
    };
  }, [live, sessionId, status]);

  const requestCode = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      const { code } = await json<PairingCode>('POST', sessionPath(sessionId, '/pairing-code'), { phoneNumber: phone.trim() });
      setPairing({ ok: true, text: `Type ${code} on the phone: Linked devices → Link a device → Link with phone number instead.` });
    } catch (error) {
      setPairing({ ok: false, text: describeError(error) });
    }
  };

  return (
    <Panel title="Link the phone" id="qr-title">
      {status !== 'qr' ? (
        <p class="muted">
          {status === 'ready' || status === 'authenticated'
            ? 'Linked: no QR code needed.'
            : `No QR code while the session is ${status}; one shows here when it waits for the phone.`}
        </p>
      ) : (
        <>
          <figure class="qr">
            {qr === undefined ? (
              <div class="qr-placeholder">{qrError ?? 'Loading the QR code…'}</div>
            ) : (
              <img src={qr.url} width={240} height={240} alt={`QR code to link ${sessionId}: scan it with WhatsApp on the phone`} data-qr-attempt={qr.attempt} />
            )}
            <figcaption>WhatsApp on the phone → Linked devices → Link a device. It refreshes by itself.</figcaption>
          </figure>
          <form class="pairing" onSubmit={requestCode}>
            <label>
              Or link by phone number
              <input
                type="tel"
                required
                pattern="\+?[0-9]{6,15}"
                placeholder="+15550001111"
                value={phone}
                onInput={(event) => setPhone(event.currentTarget.value)}
              />
            </label>
            <button type="submit">Get a pairing code</button>
          </form>
          <OutcomeLine outcome={pairing} />
        </>
      )}
    </Panel>
  );
}

/** One line of what an event says. */
function eventSummary(event: Envelope): string {
  const data = event.data as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
  switch (event.type) {
    case 'session.status':
      return `${text(data.previous)} → ${text(data.status)}${data.reason === undefined ? '' : ` (${text(data.reason)})`}`;
    case 'session.qr':
      return `QR code #${text(data.attempt)}`;
    case 'message.received':
      return `from ${text(data.from)}: ${text(data.body) || `[${text(data.type)}]`}`;
    case 'message.sent':
      return `to ${text(data.to)}: ${text(data.body) || `[${text(data.type)}]`}`;
    case 'message.ack':
      return `ack ${text(data.ack)} of ${text(data.id)}`;
    case 'message.reaction':
      return `${text(data.from)} reacted ${text(data.emoji) || '(removed)'} to ${text(data.id)}`;
    case 'message.revoked':
      return `${text(data.id)} deleted for everyone`;
  }
}

/** Re-renders on each event of the session's stream. */
function useStream(stream: SessionEvents | undefined): void {
  const [, setCount] = useState(0);
  useEffect(() => stream?.subscribe(() => setCount((count) => count + 1)), [stream]);
}

function EventsPanel({ stream, sessionId }: { stream: SessionEvents | undefined; sessionId: string }) {
  useStream(stream);
  const events = [...(stream?.events ?? [])].reverse();
  return (
    <Panel title="Last events" id="events-title">
      {events.length === 0 ? (
        <p class="muted">No event since the dashboard opened.</p>
      ) : (
        <ol class="events" aria-label={`Events of ${sessionId}, newest first`}>
          {events.map((event) => (
            <li key={event.id} data-event-type={event.type}>
              <time dateTime={event.timestamp}>{clock(event.timestamp)}</time>
              <span class="event-type">{event.type}</span>
              <span class="event-summary">{eventSummary(event)}</span>
            </li>
          ))}
        </ol>
      )}
    </Panel>
  );
}

const LOG_FIELDS = new Set(['time', 'level', 'source', 'msg']);

function LogsPanel({ stream, sessionId }: { stream: SessionEvents | undefined; sessionId: string }) {
  const logs = useLoad(() => json<LogRecord[]>('GET', sessionPath(sessionId, '/logs?limit=200')), [sessionId]);
  const [follow, setFollow] = useState(true);

  // Following: read again shortly after each of the session's events (they come with log records).
  useEffect(() => {
    if (!follow || stream === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = stream.subscribe(() => {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        void logs.reload();
      }, 400);
    });
    return () => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [stream, follow, logs.reload]);

  const records = [...(logs.data ?? [])].reverse();
  return (
    <Panel
      title="Recent logs"
      id="logs-title"
      actions={
        <>
          <label class="inline">
            <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.currentTarget.checked)} /> Follow
          </label>
          <button type="button" onClick={() => void logs.reload()} disabled={logs.loading}>
            Refresh
          </button>
        </>
      }
    >
      {logs.error === undefined ? null : <p class="outcome is-error">{logs.error}</p>}
      <div class="logs" tabIndex={0} aria-label={`Log records of ${sessionId}, newest first`}>
        {records.length === 0 ? <p class="muted">No log records.</p> : null}
        {records.map((record, index) => {
          const extra = Object.entries(record).filter(([key]) => !LOG_FIELDS.has(key));
          return (
            <div key={`${record.time}-${index}`} class={`log level-${record.level}`}>
              <time dateTime={record.time}>{clock(record.time)}</time>
              <span class="log-level">{record.level}</span>
              <span class="log-source">{record.source}</span>
              <span class="log-msg">
                {record.msg}
                {extra.length === 0 ? null : <span class="log-extra"> {extra.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')}</span>}
              </span>
            </div>
          );
        })}
      </div>
    </Panel>
  );
}

function ScreenshotPanel({ session }: { session: Session }) {
  const [shot, setShot] = useState<{ url: string; at: string } | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => () => (shot === undefined ? undefined : URL.revokeObjectURL(shot.url)), [shot]);

  const take = async (): Promise<void> => {
    setBusy(true);
    try {
      const url = await imageUrl(sessionPath(session.sessionId, '/screenshot'));
      setShot({ url, at: new Date().toISOString() });
      setOutcome(undefined);
    } catch (error) {
      setOutcome({ ok: false, text: describeError(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel
      title="WhatsApp Web page"
      id="screenshot-title"
      actions={
        <button type="button" onClick={() => void take()} disabled={busy}>
          {busy ? 'Taking…' : 'Take a screenshot'}
        </button>
      }
    >
      {session.engine === 'webjs' ? null : <p class="muted">Only webjs sessions have a WhatsApp Web page.</p>}
      <OutcomeLine outcome={outcome} />
      {shot === undefined ? null : (
        <figure class="screenshot">
          <img src={shot.url} alt={`What the WhatsApp Web page of ${session.sessionId} showed at ${clock(shot.at)}`} />
          <figcaption>Taken at {clock(shot.at)}</figcaption>
        </figure>
      )}
    </Panel>
  );
}
