/**
 * The sessions as they are now, kept live by GET /events (statuses and QR codes only: message traffic is the
 * session view's own stream, see session-events.ts): opened first, then every session loaded (GET /sessions,
 * page by page), so nothing that happens in between is lost. A `session.status` event changes the row at once and
 * marks the session stale; stale sessions are read again in batches (their memory, account, lastError, restarts),
 * so a burst of events over thousands of sessions costs a few requests, never a poll.
 *
 * The EventSource reconnects by itself and resumes with Last-Event-ID; when it gives up (the service refused it:
 * signed out, or restarted with another key) it is opened again where it stopped, after a check that sends the
 * browser to the sign-in page if the cookie is no longer good.
 */
import { call, json, listAllSessions, sessionPath, ApiError } from './api.js';
import type { Envelope, Session, SessionStatus } from './api-types.js';

export type Connection = 'connecting' | 'live' | 'reconnecting';

/** What a session.status event says, and when: it beats a read of the session that is older. */
interface SeenStatus {
  status: SessionStatus;
  at: string;
}

/** What the list needs; a session's view streams the rest of its own events. */
const TYPES = 'session.status,session.qr';
const REFRESH_DELAY_MS = 150;
const REFRESH_CONCURRENCY = 6;
/** More stale sessions than this at once: one full reload is cheaper than one request each. */
const RELOAD_ABOVE = 200;

export class LiveSessions {
  readonly sessions = new Map<string, Session>();
  /** The first event this page saw: a session's view replays that session's events from there. */
  firstEventId: string | undefined;
  connection: Connection = 'connecting';
  loaded = false;
  loadError: string | undefined;
  /** Bumped on every change: views re-render on it. */
  version = 0;

  readonly #listeners = new Set<() => void>();
  readonly #eventListeners = new Set<(event: Envelope) => void>();
  readonly #seen = new Map<string, SeenStatus>();
  readonly #stale = new Set<string>();
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #notifyTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshing = false;
  #source: EventSource | undefined;
  #lastEventId: string | undefined;

  start(): void {
    this.#open();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every event as it arrives (a view follows its session's with this). */
  onEvent(listener: (event: Envelope) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Read one session again now (after an action on it), rather than waiting for its events. */
  refresh(sessionId: string): void {
    this.#markStale(sessionId, 0);
  }

  /** A session the dashboard itself just got from the API (a create, an action's answer). */
  put(session: Session): void {
    this.sessions.set(session.sessionId, this.#merged(session));
    this.#changed();
  }

  remove(sessionId: string): void {
    this.sessions.delete(sessionId);
    this.#seen.delete(sessionId);
    this.#changed();
  }

  async reload(): Promise<void> {
    try {
      const all = await listAllSessions();
      this.sessions.clear();
      for (const session of all) this.sessions.set(session.sessionId, this.#merged(session));
      this.loaded = true;
      this.loadError = undefined;
    } catch (error) {
      this.loadError = error instanceof Error ? error.message : String(error);
    }
    this.#changed();
  }

  #open(): void {
    const query = new URLSearchParams({ types: TYPES });
    if (this.#lastEventId !== undefined) query.set('lastEventId', this.#lastEventId);
    const source = new EventSource(`/events?${query}`);
    this.#source = source;
    source.onopen = () => {
      this.connection = 'live';
      this.#changed();
      if (!this.loaded) void this.reload();
    };
    source.onmessage = (message: MessageEvent<string>) => {
      this.#lastEventId = message.lastEventId;
      this.#apply(JSON.parse(message.data) as Envelope);
    };
    source.onerror = () => {
      this.connection = 'reconnecting';
      this.#changed();
      if (source.readyState === EventSource.CLOSED) setTimeout(() => void this.#reopen(source), 2000);
    };
  }

  async #reopen(closed: EventSource): Promise<void> {
    if (this.#source !== closed) return;
    try {
      // Sends the browser to the sign-in page if the cookie is what the stream was refused for.
      await call('GET', '/sessions?limit=1');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
    }
    this.#open();
  }

  #apply(event: Envelope): void {
    this.firstEventId ??= event.id;
    if (event.type === 'session.status') {
      const status = event.data.status as SessionStatus;
      this.#seen.set(event.sessionId, { status, at: event.timestamp });
      const known = this.sessions.get(event.sessionId);
      if (known !== undefined) this.sessions.set(event.sessionId, { ...known, status });
      this.#markStale(event.sessionId, REFRESH_DELAY_MS);
    }
    for (const listener of this.#eventListeners) listener(event);
    this.#changed();
  }

  /** A session as read, unless an event since said otherwise about its status. */
  #merged(session: Session): Session {
    const seen = this.#seen.get(session.sessionId);
    return seen !== undefined && seen.at > session.updatedAt ? { ...session, status: seen.status } : session;
  }

  #markStale(sessionId: string, delayMs: number): void {
    this.#stale.add(sessionId);
    if (this.#refreshTimer === undefined && !this.#refreshing) {
      this.#refreshTimer = setTimeout(() => void this.#refreshStale(), delayMs);
    }
  }

  async #refreshStale(): Promise<void> {
    this.#refreshTimer = undefined;
    this.#refreshing = true;
    const ids = [...this.#stale];
    this.#stale.clear();
    try {
      if (ids.length > RELOAD_ABOVE) {
        await this.reload();
        return;
      }
      const queue = [...ids];
      const worker = async (): Promise<void> => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          try {
            this.put(await json<Session>('GET', sessionPath(id)));
          } catch (error) {
            if (error instanceof ApiError && error.code === 'WSM_SESSION_NOT_FOUND') this.remove(id);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(REFRESH_CONCURRENCY, queue.length) }, worker));
    } finally {
      this.#refreshing = false;
      if (this.#stale.size > 0) this.#markStale([...this.#stale][0]!, REFRESH_DELAY_MS);
    }
  }

  /** Listeners hear of a burst of changes once. */
  #changed(): void {
    this.version += 1;
    if (this.#notifyTimer !== undefined) return;
    this.#notifyTimer = setTimeout(() => {
      this.#notifyTimer = undefined;
      for (const listener of this.#listeners) listener();
    }, 16);
  }
}
