/**
 * Every session at a glance, live: rows change as `session.status` events arrive. Filtered by status and searched
 * by id in the browser, shown a page at a time, so thousands of sessions stay quick to render and to read.
 */
import { useMemo, useState } from 'preact/hooks';
import { json, ApiError } from '../api.js';
import type { EngineName, Session, SessionStatus } from '../api-types.js';
import { announce, OutcomeLine, StatusBadge, type Outcome } from '../components.js';
import { account, memory } from '../format.js';
import { useLive } from '../hooks.js';
import type { LiveSessions } from '../live.js';
import { sessionHref } from '../router.js';
import { errorInWords, STATUSES } from '../words.js';

const PAGE_SIZE = 50;

export function SessionsView({ live }: { live: LiveSessions }) {
  const version = useLive(live);
  const [status, setStatus] = useState<SessionStatus | 'all'>('all');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);

  const counts = useMemo(() => {
    const byStatus = new Map<SessionStatus, number>();
    for (const session of live.sessions.values()) byStatus.set(session.status, (byStatus.get(session.status) ?? 0) + 1);
    return byStatus;
  }, [version]);

  const matching = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const rows: Session[] = [];
    for (const session of live.sessions.values()) {
      if (status !== 'all' && session.status !== status) continue;
      if (needle !== '' && !session.sessionId.toLowerCase().includes(needle)) continue;
      rows.push(session);
    }
    return rows.sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  }, [version, status, search]);

  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const shown = Math.min(page, pages - 1);
  const rows = matching.slice(shown * PAGE_SIZE, (shown + 1) * PAGE_SIZE);

  return (
    <>
      <div class="view-head">
        <h1>Sessions</h1>
        <p class="lede">
          {live.sessions.size.toLocaleString()} session{live.sessions.size === 1 ? '' : 's'}
          {live.loaded ? '' : ' (loading…)'}
        </p>
      </div>
      {live.loadError === undefined ? null : <p class="outcome is-error">Could not load the sessions: {live.loadError}</p>}

      <ul class="counts" aria-label="Sessions by status">
        {STATUSES.filter((name) => (counts.get(name) ?? 0) > 0).map((name) => (
          <li key={name}>
            <button
              type="button"
              class={`count status-${name}`}
              aria-pressed={status === name}
              onClick={() => {
                setStatus(status === name ? 'all' : name);
                setPage(0);
              }}
            >
              <span class="count-number">{counts.get(name)}</span> {name}
            </button>
          </li>
        ))}
      </ul>

      <CreateSession live={live} />

      <div class="toolbar" role="search">
        <label>
          Search by id
          <input
            type="search"
            value={search}
            placeholder="shop-42"
            onInput={(event) => {
              setSearch(event.currentTarget.value);
              setPage(0);
            }}
          />
        </label>
        <label>
          Status
          <select
            value={status}
            onChange={(event) => {
              setStatus(event.currentTarget.value as SessionStatus | 'all');
              setPage(0);
            }}
          >
            <option value="all">All statuses</option>
            {STATUSES.map((name) => (
              <option key={name} value={name}>
                {name} ({counts.get(name) ?? 0})
              </option>
            ))}
          </select>
        </label>
      </div>

      <div class="table-wrap">
        <table class="sessions">
          <caption class="visually-hidden">Sessions, by id; the status changes live</caption>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Status</th>
              <th scope="col">Engine</th>
              <th scope="col">Account</th>
              <th scope="col">Node</th>
              <th scope="col" class="num">Memory</th>
              <th scope="col" class="num">Restarts</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((session) => (
              <tr key={session.sessionId} data-session={session.sessionId}>
                <th scope="row">
                  <a href={sessionHref(session.sessionId)}>{session.sessionId}</a>
                </th>
                <td data-field="status">
                  <StatusBadge status={session.status} />
                </td>
                <td>{session.engine}</td>
                <td class="account">{account(session)}</td>
                <td>{session.node ?? '—'}</td>
                <td class="num">{memory(session)}</td>
                <td class="num">{session.restarts}</td>
                <td class="last-error" data-field="lastError">
                  {session.lastError === null ? <span class="muted">—</span> : <span title={`${session.lastError.code}: ${session.lastError.message}`}>{errorInWords(session.lastError)}</span>}
                </td>
              </tr>
            ))}
            {rows.length === 0 ? (
              <tr>
                <td colSpan={8} class="empty">
                  {live.sessions.size === 0 ? 'No sessions yet: create one above.' : 'No session matches.'}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>

      <nav class="pager" aria-label="Pages of sessions">
        <button type="button" disabled={shown === 0} onClick={() => setPage(shown - 1)}>
          Previous
        </button>
        <span>
          {matching.length === 0
            ? 'Nothing to show'
            : `${shown * PAGE_SIZE + 1}–${shown * PAGE_SIZE + rows.length} of ${matching.length.toLocaleString()}`}
        </span>
        <button type="button" disabled={shown >= pages - 1} onClick={() => setPage(shown + 1)}>
          Next
        </button>
      </nav>
    </>
  );
}

function CreateSession({ live }: { live: LiveSessions }) {
  const [sessionId, setSessionId] = useState('');
  const [engine, setEngine] = useState<EngineName>('simulated');
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const create = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    try {
      const session = await json<Session>('POST', '/sessions', { sessionId: sessionId.trim(), engine });
      live.put(session);
      setOutcome({ ok: true, text: `Created ${session.sessionId}: ${session.status}.` });
      announce(`Created session ${session.sessionId}`);
      setSessionId('');
    } catch (error) {
      setOutcome({ ok: false, text: error instanceof ApiError ? `${error.message} (${error.code})` : String(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="create" onSubmit={create} aria-labelledby="create-title">
      <h2 id="create-title" class="visually-hidden">
        New session
      </h2>
      <label>
        New session id
        <input
          name="sessionId"
          required
          pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
          title="Letters, digits, - and _, up to 64, starting with a letter or digit"
          value={sessionId}
          onInput={(event) => setSessionId(event.currentTarget.value)}
        />
      </label>
      <label>
        Engine
        <select name="engine" value={engine} onChange={(event) => setEngine(event.currentTarget.value as EngineName)}>
          <option value="simulated">simulated</option>
          <option value="webjs">webjs</option>
        </select>
      </label>
      <button type="submit" class="primary" disabled={busy}>
        Create and start
      </button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}
