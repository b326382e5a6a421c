/**
 * One connection per node that LISTENs to the database's notifications (sessions changed, events appended) and
 * hands each to its channel's handler. Notifications are lost while the connection is down, so every
 * (re)connection runs the `connected` handlers, which reload what they follow, after LISTEN is in place: a
 * change made in between is both reloaded and notified, never missed.
 */
import pg from 'pg';
import type { Logger } from 'pino';

const RECONNECT_FIRST_MS = 250;
/**
 * An idle connection whose server died (or whose NAT entry expired) raises no error by itself: a probe this often
 * finds it, within the probe's query timeout, so that the node reconnects and reloads instead of going deaf.
 */
const PROBE_MS = 5_000;
const RECONNECT_MAX_MS = 5_000;
const CHANNEL = /^[a-z_]+$/;

export class PgListener {
  readonly #connectionString: string;
  readonly #log: Logger;
  readonly #channels = new Map<string, (payload: string) => void>();
  readonly #connected: Array<() => Promise<void>> = [];
  #client: pg.Client | undefined;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #probe: NodeJS.Timeout | undefined;
  #delay = RECONNECT_FIRST_MS;

  constructor(connectionString: string, log: Logger) {
    this.#connectionString = connectionString;
    this.#log = log;
  }

  /** Before start(): what to do with each notification of `channel`. */
  on(channel: string, handler: (payload: string) => void): this {
    if (!CHANNEL.test(channel)) throw new TypeError(`not a channel name: ${channel}`);
    this.#channels.set(channel, handler);
    return this;
  }

  /** Before start(): what to reload after every (re)connection. */
  onConnected(handler: () => Promise<void>): this {
    this.#connected.push(handler);
    return this;
  }

  /** Connects and listens; rejects if the first connection fails. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#probe);
    await this.#client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: 'wsm-listen',
      keepAlive: true,
      query_timeout: PROBE_MS,
    });
    client.on('notification', ({ channel, payload }) => this.#channels.get(channel)?.(payload ?? ''));
    const lost = (error?: Error): void => {
      if (this.#client !== client || this.#closed) return;
      this.#client = undefined;
      this.#log.warn({ err: error }, 'lost the database notifications connection; reconnecting');
      this.#schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      this.#client = client;
      for (const channel of this.#channels.keys()) await client.query(`LISTEN ${channel}`);
      for (const reload of this.#connected) await reload();
      this.#delay = RECONNECT_FIRST_MS;
      clearInterval(this.#probe);
      this.#probe = setInterval(() => {
        if (this.#client !== client) return;
        client.query('SELECT 1').catch((error: Error) => {
          // Dropped: the 'end' that follows (or this) schedules the reconnection.
          client.end().catch(() => undefined);
          lost(error);
        });
      }, PROBE_MS);
      this.#probe.unref();
    } catch (error) {
      if (this.#client === client) this.#client = undefined;
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  #schedule(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#closed) return;
      this.#connect().catch((error: unknown) => {
        this.#log.debug({ err: error }, 'database notifications: reconnect failed');
        this.#delay = Math.min(this.#delay * 2, RECONNECT_MAX_MS);
        this.#schedule();
      });
    }, this.#delay);
    this.#retryTimer.unref();
  }
}
