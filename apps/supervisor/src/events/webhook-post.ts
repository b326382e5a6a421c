/**
 * One webhook POST over a keep-alive pool of connections per target (undici's Pool.request, not fetch: no web
 * streams). Measured as a client posting event envelopes to a local receiver, 64 in flight over 10 targets:
 * 119-129 µs of CPU per request against 192-195 µs for node:http with a keep-alive agent, and fetch costs more
 * than either. That matters when the supervisor delivers thousands of events a second.
 */
import { Pool, type Dispatcher } from 'undici';
import { guardedLookup } from '../net/address-guard.js';

export interface PostResult {
  statusCode: number;
  /** The start of the answer, for a failed delivery's lastError (empty for a 2xx: nobody reads it). */
  text: string;
}

const MAX_TEXT = 500;
/** What of a 2xx answer's body is read and dropped before the connection is given up instead of reused. */
const DUMP_LIMIT = 64 * 1024;

export interface AddressGuard {
  /** Targets the operator configured (WEBHOOK_URL): trusted, never guarded. */
  trusted: ReadonlySet<string>;
}

/** What a target's requests share: its own connections, and the parts of its URL parsed once. */
interface Route {
  pool: Pool;
  path: string;
  /** From credentials in the URL (`https://user:pass@host/`), which node:http used to send by itself. */
  authorization: string | undefined;
}

export class WebhookClient {
  readonly #socketsPerTarget: number;
  readonly #trusted: ReadonlySet<string>;
  readonly #guarded: boolean;
  /**
   * One pool per target URL, not per origin: targets that share a host (one receiver, a path per session)
   * would otherwise share one window of connections, and a slow one would hold the others' lanes. Bounded by
   * the targets configured (WEBHOOK_URL and the sessions' webhooks).
   */
  readonly #routes = new Map<string, Route>();

  /** `socketsPerTarget` matches the dispatcher's window, so every request in flight has its connection. */
  constructor(socketsPerTarget: number, guard?: AddressGuard) {
    this.#socketsPerTarget = socketsPerTarget;
    this.#trusted = guard?.trusted ?? new Set();
    this.#guarded = guard !== undefined;
  }

  #route(url: string): Route {
    let route = this.#routes.get(url);
    if (route === undefined) {
      const target = new URL(url);
      // Targets API clients registered resolve through a lookup that refuses private addresses, at every connection.
      const connect = this.#guarded && !this.#trusted.has(url) ? { lookup: guardedLookup } : {};
      const credentials = target.username === '' && target.password === '' ? undefined : `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
      route = {
        pool: new Pool(target.origin, { connections: this.#socketsPerTarget, connect }),
        path: `${target.pathname}${target.search}`,
        authorization: credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString('base64')}`,
      };
      this.#routes.set(url, route);
    }
    return route;
  }

  /** Rejects on a network error, a refused address, or no answer within `timeoutMs` (headers, then body). */
  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
    const { pool, path, authorization } = this.#route(url);
    if (authorization !== undefined) headers.authorization = authorization;
    let answer: Dispatcher.ResponseData;
    try {
      answer = await pool.request({ path, method: 'POST', headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    } catch (error) {
      throw readable(error, timeoutMs);
    }
    const { statusCode } = answer;
    try {
      // Read to the end either way, so the connection is kept alive for the next delivery.
      if (statusCode >= 200 && statusCode < 300) {
        await answer.body.dump({ limit: DUMP_LIMIT });
        return { statusCode, text: '' };
      }
      let text = '';
      answer.body.setEncoding('utf8');
      for await (const chunk of answer.body as AsyncIterable<string>) if (text.length < MAX_TEXT) text += chunk;
      return { statusCode, text: text.slice(0, MAX_TEXT) };
    } catch (error) {
      throw readable(error, timeoutMs);
    }
  }

  /** Cuts off every request in flight (shutdown): each rejects, and no request is sent after it. */
  abort(): void {
    for (const { pool } of this.#routes.values()) void pool.destroy(new Error('aborted at shutdown')).catch(() => {});
  }

  close(): void {
    for (const { pool } of this.#routes.values()) void pool.destroy().catch(() => {});
    this.#routes.clear();
  }
}

/** undici's timeouts say "Headers Timeout Error"; a delivery's lastError says what it means. */
function readable(error: unknown, timeoutMs: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return Object.assign(new Error(`no answer within ${timeoutMs} ms`, { cause: error }), { code: 'ETIMEDOUT' });
  }
  return error;
}
