/**
 * The dashboard's one way to the API: same-origin fetch, so the browser sends the sign-in cookie and, on writes,
 * the Origin header the auth plugin checks. The key itself is never seen here. A 401 means the cookie is missing
 * or expired: the browser goes to the sign-in page, which comes back to where it was.
 */
import type { ErrorReply, Session } from './api-types.js';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function signIn(): void {
  const next = `/dashboard${location.hash}`;
  location.assign(`/auth/login?next=${encodeURIComponent(next)}`);
}

async function failure(response: Response): Promise<ApiError> {
  let body: Partial<ErrorReply> = {};
  try {
    body = (await response.json()) as Partial<ErrorReply>;
  } catch {
    // A bare 503 while the service shuts down has no coded body.
  }
  return new ApiError(response.status, body.code ?? `HTTP_${response.status}`, body.message ?? response.statusText);
}

/** The answer when it is a 2xx; otherwise an ApiError with the API's code and message. */
export async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.ok) return response;
  if (response.status === 401) signIn();
  throw await failure(response);
}

export async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await call(method, path, body);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export const sessionPath = (sessionId: string, rest = ''): string => `/sessions/${encodeURIComponent(sessionId)}${rest}`;

/** Every session, a page of a thousand at a time (GET /sessions follows its cursor). */
export async function listAllSessions(): Promise<Session[]> {
  const all: Session[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (cursor !== null) query.set('cursor', cursor);
    const response = await call('GET', `/sessions?${query}`);
    all.push(...((await response.json()) as Session[]));
    cursor = response.headers.get('x-next-cursor');
  } while (cursor !== null);
  return all;
}

/** Whether this service has browser sign-in at all (API_KEY set): its /auth routes exist only then. */
export async function hasSignIn(): Promise<boolean> {
  const response = await fetch('/auth/token', { credentials: 'same-origin' });
  return response.status !== 404;
}

/** An image route as an object URL for an <img>; the caller revokes it. */
export async function imageUrl(path: string): Promise<string> {
  const response = await call('GET', path);
  return URL.createObjectURL(await response.blob());
}
