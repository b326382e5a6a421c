/**
 * One webhook POST over node:http(s) with keep-alive agents: several times cheaper per request than fetch
 * (undici's web streams), which matters when the supervisor delivers thousands of events a second.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { guardedLookup } from '../net/address-guard.js';

export interface PostResult {
  statusCode: number;
  /** The start of the answer, for a failed delivery's lastError. */
  text: string;
}

const MAX_TEXT = 500;

export interface AddressGuard {
  /** Targets the operator configured (WEBHOOK_URL): trusted, never guarded. */
  trusted: ReadonlySet<string>;
}

/** What a target's requests share: its URL parsed once, and its own sockets. */
interface Route {
  target: URL;
  secure: boolean;
  agent: HttpAgent;
}

export class WebhookClient {
  readonly #socketsPerTarget: number;
  readonly #trusted: ReadonlySet<string>;
  readonly #guarded: boolean;
  /**
   * One agent per target URL, not per scheme: an agent counts maxSockets per host and port, so targets that
   * share a host (one receiver, a path per session) would otherwise share one window of sockets, and a slow one
   * would hold the others' lanes. Bounded by the targets configured (WEBHOOK_URL and the sessions' webhooks).
   */
  readonly #routes = new Map<string, Route>();
  readonly #inFlight = new Set<ClientRequest>();

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
      const secure = target.protocol === 'https:';
      // Targets API clients registered resolve through a lookup that refuses private addresses.
      const lookup = this.#guarded && !this.#trusted.has(url) ? { lookup: guardedLookup } : {};
      const options = { keepAlive: true, maxSockets: this.#socketsPerTarget, ...lookup };
      route = { target, secure, agent: secure ? new HttpsAgent(options) : new HttpAgent(options) };
      this.#routes.set(url, route);
    }
    return route;
  }

  /** `headers` gets the content-length added. */
  post(url: string, headers: Record<string, string | number>, body: string, timeoutMs: number): Promise<PostResult> {
    const { target, secure, agent } = this.#route(url);
    headers['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(target, { method: 'POST', headers, agent, timeout: timeoutMs }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        // Read the answer to the end, so the connection is kept alive for the next delivery.
        response.on('data', (chunk: string) => {
          if (text.length < MAX_TEXT) text += chunk;
        });
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, text: text.slice(0, MAX_TEXT) }));
        response.on('error', reject);
      });
      // Tracked here rather than through an AbortSignal per request (a listener added and removed each time).
      this.#inFlight.add(request);
      request.on('close', () => this.#inFlight.delete(request));
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Cuts off every request in flight (shutdown): each rejects. */
  abort(): void {
    for (const request of this.#inFlight) request.destroy(new Error('aborted at shutdown'));
  }

  close(): void {
    for (const { agent } of this.#routes.values()) agent.destroy();
    this.#routes.clear();
  }
}
