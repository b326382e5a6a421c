/**
 * A session's log record as GET /sessions/:id/logs shows it, read back from one pino JSON line. The line is taken
 * after pino's redaction: what the API shows is exactly what the log shows.
 */
import { Type, type Static } from '@sinclair/typebox';
import { LEVEL_NAMES } from '../logger-levels.js';

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

/** A record and what it is kept by: its session and its time, which orders it among the others. */
export interface SessionLogEntry {
  sessionId: string;
  timeMs: number;
  record: LogRecord;
}

/** Fields of a pino line that the record re-expresses or that say nothing about the session. */
const DROPPED = new Set(['time', 'level', 'pid', 'hostname', 'sessionId', 'source', 'msg']);

/** The session's record in one pino JSON line; undefined for a line that is not about a session. */
export function parseLogLine(line: string): SessionLogEntry | undefined {
  // Most lines are not a session's: skipped without parsing.
  if (!line.includes('"sessionId"')) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const sessionId = parsed.sessionId;
  if (typeof sessionId !== 'string') return undefined;
  const timeMs = typeof parsed.time === 'number' ? parsed.time : Date.now();
  const record: LogRecord = {
    time: new Date(timeMs).toISOString(),
    level: LEVEL_NAMES[Number(parsed.level)] ?? String(parsed.level),
    source: typeof parsed.source === 'string' ? parsed.source : 'supervisor',
    msg: typeof parsed.msg === 'string' ? parsed.msg : '',
  };
  for (const [key, value] of Object.entries(parsed)) if (!DROPPED.has(key)) record[key] = value;
  return { sessionId, timeMs, record };
}
