/**
 * Fetching a `media.url` for a send: http and https only, a few redirects each checked again, one deadline for
 * the whole fetch (redirects and body included), a Content-Length over the cap refused before reading, and, with
 * the address guard on, no connection to a loopback, private, link-local or metadata address (checked at the
 * connection, so a name that resolves elsewhere later is still caught). Every failure is a coded error.
 */
import { STATUS_CODES, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Errors, isCodedError } from '../errors.js';
import { BlockedAddressError, lookupRefusing } from '../net/address-guard.js';

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** The address guard's policy (net/address-guard.ts's isBlockedAddress), or undefined when it is off. */
  isBlocked: ((address: string) => boolean) | undefined;
}

export interface FetchedMedia {
  /** The body, ending in a coded error if the fetch fails while it is read. */
  body: AsyncIterable<Uint8Array>;
  /** The answer's content-type, if it gave one. */
  contentType: string | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A URL as messages and logs show it: no credentials, no query (a signed URL's query is a credential). */
export function shownUrl(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
  } catch {
    return String(url).slice(0, 100);
  }
}

/** `text` as a URL this service fetches, or 400 WSM_MEDIA_URL_REFUSED saying why not. */
export function mediaUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Errors.MEDIA_URL_REFUSED(text.slice(0, 100), 'it is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Errors.MEDIA_URL_REFUSED(shownUrl(url), `only http and https URLs are fetched, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.hostname === '') throw new Errors.MEDIA_URL_REFUSED(shownUrl(url), 'it has no host');
  return url;
}

const bareHost = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/** A failure of the fetch as the caller sees it: already coded errors as they are, the rest as FETCH_FAILED. */
function failure(error: unknown, url: URL, limits: FetchLimits, deadline: AbortSignal): Error {
  if (isCodedError(error)) return error;
  const blocked = error instanceof BlockedAddressError ? error : (error as { cause?: unknown } | undefined)?.cause;
  if (blocked instanceof BlockedAddressError) return new Errors.ADDRESS_BLOCKED(blocked.host, blocked.address);
  if (deadline.aborted) return new Errors.MEDIA_FETCH_FAILED(shownUrl(url), `no complete answer within ${limits.timeoutMs} ms (MEDIA_FETCH_TIMEOUT_MS)`);
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  return new Errors.MEDIA_FETCH_FAILED(shownUrl(url), typeof code === 'string' && !reason.includes(code) ? `${code}: ${reason}` : reason);
}

/** One GET, answered with its response (a redirect included): nothing read of its body yet. */
function get(url: URL, limits: FetchLimits, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: { accept: '*/*', 'user-agent': 'wsm-supervisor (media fetch)' },
      // A fresh connection each time: a pooled one may have been made without the guard.
      agent: false,
      signal,
      ...(limits.isBlocked === undefined ? {} : { lookup: lookupRefusing(limits.isBlocked) }),
    });
    request.on('response', resolve);
    request.on('error', reject);
    request.end();
  });
}

async function* bodyOf(response: IncomingMessage, url: URL, limits: FetchLimits, deadline: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of response) yield chunk as Buffer;
  } catch (error) {
    throw failure(error, url, limits, deadline);
  } finally {
    // Stopped early (over the cap, or the spool failed): no more of it is read.
    response.destroy();
  }
}

/**
 * Opens `url` (already checked by mediaUrl) and follows redirects; resolves once a 2xx answer's headers are in.
 * The deadline goes on while the body is read; `signal` cancels the fetch (as a failure).
 */
export async function openMediaUrl(url: URL, limits: FetchLimits, signal?: AbortSignal): Promise<FetchedMedia> {
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  const combined = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
  let current = url;
  for (let redirects = 0; ; redirects++) {
    if (limits.isBlocked !== undefined && isIP(bareHost(current)) !== 0 && limits.isBlocked(bareHost(current))) {
      // A literal address is never looked up, so the resolver's check would not see it.
      throw new Errors.ADDRESS_BLOCKED(current.host, bareHost(current));
    }
    let response: IncomingMessage;
    try {
      response = await get(current, limits, combined);
    } catch (error) {
      throw failure(error, current, limits, deadline);
    }
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      response.destroy();
      const location = response.headers.location;
      if (location === undefined) throw new Errors.MEDIA_FETCH_FAILED(shownUrl(current), `it answered ${status} without a Location`);
      if (redirects >= limits.maxRedirects) throw new Errors.MEDIA_FETCH_FAILED(shownUrl(url), `more than ${limits.maxRedirects} redirects`);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new Errors.MEDIA_FETCH_FAILED(shownUrl(current), `it redirected to an invalid URL`);
      }
      current = mediaUrl(next.toString());
      continue;
    }
    if (status < 200 || status > 299) {
      response.destroy();
      throw new Errors.MEDIA_FETCH_FAILED(shownUrl(current), `it answered ${status} ${STATUS_CODES[status] ?? ''}`.trim());
    }
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length > limits.maxBytes) {
      response.destroy();
      throw new Errors.MEDIA_TOO_LARGE(limits.maxBytes);
    }
    return { body: bodyOf(response, current, limits, deadline), contentType: response.headers['content-type'] };
  }
}
