/**
 * What only the process running a session knows of it: its pids and the memory they use. Declared once as a
 * schema (the API's Session shows it as it is), the type derived.
 */
import { Type, type Static } from '@sinclair/typebox';

export const SessionMemory = Type.Object(
  {
    workerBytes: Type.Integer(),
    browserBytes: Type.Integer(),
    totalBytes: Type.Integer(),
    processes: Type.Integer({ description: 'Processes counted: the worker, and the browser with its children' }),
    sampledAt: Type.String({ format: 'date-time' }),
  },
  { description: "The last sample of the running worker's memory (and its browser's), PSS" },
);
export type SessionMemory = Static<typeof SessionMemory>;

export interface SessionRuntime {
  pid: number | null;
  /** The session's Chromium (webjs), leader of its own process group. */
  browserPid: number | null;
  memory: SessionMemory | null;
}
