/**
 * Decoding of received messages with the generated checks (generated/checks.ts): no TypeBox at run time, so
 * a worker starts without loading the schema library. A receiver decodes every message before acting on it
 * and logs the error instead of acting on a malformed one. The short error is immediate; `details()` loads
 * the TypeBox schemas (rarely: only for a malformed message) to name each offending field.
 */
import type { CommandName, CommandResult } from './commands.js';
import { commandResultChecks, supervisorMessageChecks, workerMessageChecks } from './generated/checks.js';
import type { SupervisorMessage, WorkerMessage } from './messages.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string; details: () => Promise<string> };

type Direction = 'supervisor' | 'worker';
type Checks = Readonly<Record<string, (value: unknown) => boolean>>;

const failure = (error: string, details: () => Promise<string> = async () => error) => ({ ok: false as const, error, details });

function createDecoder<T>(checks: Checks, direction: Direction): (raw: unknown) => Decoded<T> {
  return (raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return failure('message is not an object');
    const type: unknown = (raw as { type?: unknown }).type;
    if (typeof type !== 'string') return failure('message has no string "type"');
    const check = Object.hasOwn(checks, type) ? checks[type] : undefined;
    if (check === undefined) return failure(`unknown message type "${type.slice(0, 64)}"`);
    if (check(raw)) return { ok: true, value: raw as T };
    return failure(`malformed "${type}"`, async () => (await import('./checkers.js')).explainMessage(direction, type, raw));
  };
}

/** Used by the worker on everything the supervisor sends. */
export const decodeSupervisorMessage = createDecoder<SupervisorMessage>(supervisorMessageChecks, 'supervisor');

/** Used by the supervisor on everything a worker sends. */
export const decodeWorkerMessage = createDecoder<WorkerMessage>(workerMessageChecks, 'worker');

/** Checks the `result` of a successful reply against the command's declared result schema. */
export function decodeCommandResult<N extends CommandName>(name: N, result: unknown): Decoded<CommandResult<N>> {
  if (commandResultChecks[name]!(result)) return { ok: true, value: result as CommandResult<N> };
  return failure(`malformed result of "${name}"`, async () => (await import('./checkers.js')).explainResult(name, result));
}
