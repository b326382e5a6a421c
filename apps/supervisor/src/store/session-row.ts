/**
 * A session record as a row of the `sessions` table, for both stores: the column of each field, the fields
 * kept as JSON, and the record built from a row. SQLite keeps JSON as text, PostgreSQL as jsonb (parsed by the
 * driver): `Row<string>` and `Row<parsed>` differ only there.
 */
import type { Me } from '@wsm/ipc-protocol';
import type { LastError, SessionPatch, SessionRecord, WebhookTarget } from '../session/session-record.js';

/** The JSON fields of a row, as text (SQLite) or as the values themselves (PostgreSQL). */
export interface JsonColumns<Text extends boolean> {
  metadata: Text extends true ? string : Record<string, unknown>;
  webhooks: Text extends true ? string : WebhookTarget[];
  last_error: Text extends true ? string | null : LastError | null;
  me: Text extends true ? string | null : Me | null;
}

export type SessionRow<Text extends boolean> = JsonColumns<Text> & {
  session_id: string;
  engine: string;
  desired_state: string;
  status: string;
  restarts: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  ready_at: string | null;
  proxy: string | null;
  version: number;
};

export const COLUMNS: Record<keyof SessionPatch, keyof SessionRow<true>> = {
  engine: 'engine',
  desiredState: 'desired_state',
  status: 'status',
  restarts: 'restarts',
  metadata: 'metadata',
  webhooks: 'webhooks',
  lastError: 'last_error',
  me: 'me',
  updatedAt: 'updated_at',
  startedAt: 'started_at',
  readyAt: 'ready_at',
  proxy: 'proxy',
};

export const JSON_FIELDS = new Set<keyof SessionPatch>(['metadata', 'webhooks', 'lastError', 'me']);

/** A JSON field as a parameter: JSON text (a null lastError or me is SQL NULL). */
export const toJson = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function toRecord(row: SessionRow<true> | SessionRow<false>, jsonAsText: boolean): SessionRecord {
  const json = jsonAsText
    ? {
        metadata: JSON.parse((row as SessionRow<true>).metadata) as SessionRecord['metadata'],
        webhooks: JSON.parse((row as SessionRow<true>).webhooks) as SessionRecord['webhooks'],
        lastError: parse<LastError>((row as SessionRow<true>).last_error),
        me: parse<Me>((row as SessionRow<true>).me),
      }
    : {
        metadata: (row as SessionRow<false>).metadata,
        webhooks: (row as SessionRow<false>).webhooks,
        lastError: (row as SessionRow<false>).last_error,
        me: (row as SessionRow<false>).me,
      };
  return {
    sessionId: row.session_id,
    engine: row.engine as SessionRecord['engine'],
    desiredState: row.desired_state as SessionRecord['desiredState'],
    status: row.status as SessionRecord['status'],
    restarts: row.restarts,
    ...json,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    readyAt: row.ready_at,
    proxy: row.proxy,
    version: row.version,
  };
}
