/**
 * Compiled checkers for received messages. A receiver decodes every message before acting on it and
 * logs the returned error instead of acting on a malformed one. Decoding dispatches on `type` first so
 * the error names the message and the offending field, not just "expected union".
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Commands, type CommandName, type CommandResult } from './commands.js';
import {
  SUPERVISOR_MESSAGES,
  WORKER_MESSAGES,
  type SupervisorMessage,
  type WorkerMessage,
} from './messages.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_REPORTED_ERRORS = 3;

/** The `type` literal of an object schema, or of the first member of a union of such objects. */
function typeLiteralOf(schema: TSchema): string {
  const object = schema[Kind] === 'Union' ? (schema.anyOf as TSchema[])[0] : schema;
  const literal = object?.properties?.type?.const;
  if (typeof literal !== 'string') throw new TypeError('message schema without a literal "type"');
  return literal;
}

function describeErrors(check: TypeCheck<TSchema>, value: unknown): string {
  return [...check.Errors(value)]
    .slice(0, MAX_REPORTED_ERRORS)
    .map((error) => `${error.path || '/'} ${error.message}`)
    .join('; ');
}

function createDecoder<T>(schemas: readonly TSchema[]): (raw: unknown) => Decoded<T> {
  const checks = new Map(schemas.map((schema) => [typeLiteralOf(schema), TypeCompiler.Compile(schema)]));
  return (raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, error: 'message is not an object' };
    }
    const type: unknown = (raw as { type?: unknown }).type;
    if (typeof type !== 'string') return { ok: false, error: 'message has no string "type"' };
    const check = checks.get(type);
    if (check === undefined) return { ok: false, error: `unknown message type "${type.slice(0, 64)}"` };
    if (check.Check(raw)) return { ok: true, value: raw as T };
    return { ok: false, error: `malformed "${type}": ${describeErrors(check, raw)}` };
  };
}

/** Used by the worker on everything the supervisor sends. */
export const decodeSupervisorMessage = createDecoder<SupervisorMessage>(SUPERVISOR_MESSAGES);

/** Used by the supervisor on everything a worker sends. */
export const decodeWorkerMessage = createDecoder<WorkerMessage>(WORKER_MESSAGES);

const resultChecks = Object.fromEntries(
  Object.entries(Commands).map(([name, { result }]) => [name, TypeCompiler.Compile(result)]),
) as unknown as Record<CommandName, TypeCheck<TSchema>>;

/** Checks the `result` of a successful reply against the command's declared result schema. */
export function decodeCommandResult<N extends CommandName>(name: N, result: unknown): Decoded<CommandResult<N>> {
  const check = resultChecks[name];
  if (check.Check(result)) return { ok: true, value: result as CommandResult<N> };
  return { ok: false, error: `malformed result of "${name}": ${describeErrors(check, result)}` };
}
