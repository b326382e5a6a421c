/**
 * Keeps this node's registry cache in step with rows other nodes write. Every change of a `sessions` row
 * notifies `wsm_sessions` (a trigger, postgres-schema.ts) with the session's id; this node, listening on a
 * connection of its own, reloads that row. A notification can be missed only while that connection is down, so
 * every (re)connection reloads every row before listening on.
 *
 * Consistency: a node serves reads of sessions it does not run from this cache, which trails the database by a
 * notification's latency (about a millisecond); writes never rely on it (compare-and-set on the version).
 */
import pg from 'pg';
import type { Logger } from 'pino';

export const SESSIONS_CHANNEL = 'wsm_sessions';

export interface SyncTarget {
  /** Takes the store's row of one session (or its absence). */
  refresh(sessionId: string): Promise<void>;
  /** Takes every row of the store. */
  reload(): Promise<void>;
}

const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export class SessionSync {
  readonly #connectionString: string;
  readonly #target: SyncTarget;
  readonly #log: Logger;
  #client: pg.Client | undefined;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #delay = RECONNECT_FIRST_MS;

  constructor(connectionString: string, target: SyncTarget, log: Logger) {
    this.#connectionString = connectionString;
    this.#target = target;
    this.#log = log;
  }

  /** Connects and listens; resolves once listening (or rejects if the first connection fails). */
  async start(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#connectionString, application_name: 'wsm-sync' });
    client.on('notification', (message) => {
      if (message.channel !== SESSIONS_CHANNEL || message.payload === undefined) return;
      void this.#target.refresh(message.payload).catch((error: unknown) => {
        this.#log.warn({ err: error, sessionId: message.payload }, 'could not reload a session row another node changed');
      });
    });
    const lost = (error?: Error): void => {
      if (this.#client !== client || this.#closed) return;
      this.#client = undefined;
      this.#log.warn({ err: error }, 'lost the session notifications connection; reconnecting');
      this.#schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    this.#client = client;
    await client.query(`LISTEN ${SESSIONS_CHANNEL}`);
    // Listening first, then reloading: a change made in between is both reloaded and notified, never lost.
    await this.#target.reload();
    this.#delay = RECONNECT_FIRST_MS;
  }

  #schedule(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#closed) return;
      this.#connect().catch((error: unknown) => {
        this.#log.debug({ err: error }, 'session notifications: reconnect failed');
        this.#client?.end().catch(() => undefined);
        this.#client = undefined;
        this.#delay = Math.min(this.#delay * 2, RECONNECT_MAX_MS);
        this.#schedule();
      });
    }, this.#delay);
    this.#retryTimer.unref();
  }
}
