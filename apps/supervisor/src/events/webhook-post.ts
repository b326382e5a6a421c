/**
 * One webhook POST over node:http(s) with keep-alive agents: several times cheaper per request than fetch
 * (undici's web streams), which matters when the supervisor delivers thousands of events a second.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
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

export class WebhookClient {
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;
  /** Agents whose resolver refuses private addresses, for targets API clients registered. */
  readonly #guarded: { http: HttpAgent; https: HttpsAgent } | undefined;
  readonly #trusted: ReadonlySet<string>;

  /** `socketsPerTarget` matches the dispatcher's window, so every request in flight has its connection. */
  constructor(socketsPerTarget: number, guard?: AddressGuard) {
    this.#http = new HttpAgent({ keepAlive: true, maxSockets: socketsPerTarget });
    this.#https = new HttpsAgent({ keepAlive: true, maxSockets: socketsPerTarget });
    this.#trusted = guard?.trusted ?? new Set();
    this.#guarded =
      guard === undefined
        ? undefined
        : {
            http: new HttpAgent({ keepAlive: true, maxSockets: socketsPerTarget, lookup: guardedLookup }),
            https: new HttpsAgent({ keepAlive: true, maxSockets: socketsPerTarget, lookup: guardedLookup }),
          };
  }

  #agent(url: string, secure: boolean): HttpAgent {
    const agents = this.#guarded !== undefined && !this.#trusted.has(url) ? this.#guarded : { http: this.#http, https: this.#https };
    return secure ? agents.https : agents.http;
  }

  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal: AbortSignal): Promise<PostResult> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: this.#agent(url, secure),
          signal,
          timeout: timeoutMs,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          // Read the answer to the end, so the connection is kept alive for the next delivery.
          response.on('data', (chunk: string) => {
            if (text.length < MAX_TEXT) text += chunk;
          });
          response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, text: text.slice(0, MAX_TEXT) }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    for (const agent of [this.#http, this.#https, this.#guarded?.http, this.#guarded?.https]) agent?.destroy();
  }
}
