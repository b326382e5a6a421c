/**
 * The last log records of each session, supervisor's and worker's, for GET /sessions/:id/logs.
 * Fed by the logger's destination (logger.ts) with every JSON line that carries a `sessionId`, after pino's
 * redaction: what the API shows is exactly what the log shows.
 */
import { Type, type Static } from '@sinclair/typebox';
import { LEVEL_NAMES } from './logger-levels.js';

/** One record as GET /sessions/:id/logs shows it: four fields always, and whatever it was logged with. */
export const LogRecord = Type.Object(
  {
    time: Type.String({ format: 'date-time' }),
    level: Type.String(),
    source: Type.String({ description: 'supervisor, worker, worker-stderr or worker-stdout' }),
    msg: Type.String(),
  },
  { additionalProperties: true },
);
export type LogRecord = Static<typeof LogRecord> & Record<string, unknown>;

/** Fields of a pino line that the record re-expresses or that say nothing about the session. */
const DROPPED = new Set(['time', 'level', 'pid', 'hostname', 'sessionId', 'source', 'msg']);

export class SessionLogs {
  readonly #perSession: number;
  readonly #records = new Map<string, LogRecord[]>();

  constructor(perSession: number) {
    this.#perSession = perSession;
  }

  /** Takes one pino JSON line; lines without a sessionId are not a session's. */
  ingest(line: string): void {
    if (!line.includes('"sessionId"')) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const sessionId = parsed.sessionId;
    if (typeof sessionId !== 'string') return;
    const record: LogRecord = {
      time: new Date(typeof parsed.time === 'number' ? parsed.time : Date.now()).toISOString(),
      level: LEVEL_NAMES[Number(parsed.level)] ?? String(parsed.level),
      source: typeof parsed.source === 'string' ? parsed.source : 'supervisor',
      msg: typeof parsed.msg === 'string' ? parsed.msg : '',
    };
    for (const [key, value] of Object.entries(parsed)) if (!DROPPED.has(key)) record[key] = value;
    let records = this.#records.get(sessionId);
    if (records === undefined) {
      records = [];
      this.#records.set(sessionId, records);
    }
    records.push(record);
    if (records.length > this.#perSession) records.splice(0, records.length - this.#perSession);
  }

  /** The most recent `limit` records, oldest first. */
  recent(sessionId: string, limit: number): LogRecord[] {
    return (this.#records.get(sessionId) ?? []).slice(-limit);
  }

  forget(sessionId: string): void {
    this.#records.delete(sessionId);
  }
}
