/**
 * `GET /sessions` for thousands of sessions: filtered by status and engine, ordered by sessionId, and cut into
 * pages with an opaque cursor (the last sessionId of a page), so a page is stable while sessions come and go.
 */
import type { EngineName } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import { SESSION_STATUSES, type SessionStatus } from './state-machine.js';

export interface ListQuery {
  statuses?: ReadonlySet<SessionStatus>;
  engine?: EngineName;
  /** Page size; without it, every matching session. */
  limit?: number;
  /** From a previous page's `next`. */
  cursor?: string;
}

interface Listed {
  readonly sessionId: string;
  readonly status: SessionStatus;
  readonly engine: EngineName;
}

export interface Page<T> {
  items: T[];
  /** The cursor of the next page, when there is one. */
  next: string | undefined;
  /** Sessions that match the filter, on every page. */
  total: number;
}

export const encodeCursor = (sessionId: string): string => Buffer.from(sessionId, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): string {
  const sessionId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(sessionId) || encodeCursor(sessionId) !== cursor) {
    throw new Errors.VALIDATION_FAILED('querystring.cursor is not a cursor this API returned');
  }
  return sessionId;
}

/** `ready,qr` → the set of statuses, or a coded 400 that lists the allowed ones. */
export function parseStatuses(list: string, field: string): Set<SessionStatus> {
  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(SESSION_STATUSES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Errors.VALIDATION_FAILED(
      `${field} has unknown statuses (${unknown.join(', ') || 'none given'}); allowed: ${SESSION_STATUSES.join(', ')}`,
    );
  }
  return new Set(names as SessionStatus[]);
}

export function pageOf<T extends Listed>(sessions: Iterable<T>, query: ListQuery): Page<T> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const matching: T[] = [];
  for (const session of sessions) {
    if (query.statuses !== undefined && !query.statuses.has(session.status)) continue;
    if (query.engine !== undefined && session.engine !== query.engine) continue;
    matching.push(session);
  }
  matching.sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  const start = after === undefined ? 0 : matching.findIndex((session) => session.sessionId > after);
  const rest = start === -1 ? [] : matching.slice(start);
  const items = query.limit === undefined ? rest : rest.slice(0, query.limit);
  const more = query.limit !== undefined && rest.length > query.limit;
  return { items, next: more ? encodeCursor(items.at(-1)!.sessionId) : undefined, total: matching.length };
}
