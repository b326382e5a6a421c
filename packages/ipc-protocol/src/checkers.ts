/**
 * Explanations of why a message failed its check, field by field, from the TypeBox schemas. Loaded only when a
 * message is malformed (decode.ts), so the schema library stays out of a healthy worker's start-up.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Commands, type CommandName } from './commands.js';
import { SUPERVISOR_MESSAGES, WORKER_MESSAGES, messageType } from './messages.js';

const MAX_REPORTED_ERRORS = 3;

function describe(schema: TSchema, value: unknown): string {
  return [...Value.Errors(schema, value)]
    .slice(0, MAX_REPORTED_ERRORS)
    .map((error) => `${error.path || '/'} ${error.message}`)
    .join('; ');
}

export function explainMessage(direction: 'supervisor' | 'worker', type: string, raw: unknown): string {
  const schemas = direction === 'supervisor' ? SUPERVISOR_MESSAGES : WORKER_MESSAGES;
  const schema = schemas.find((candidate) => messageType(candidate) === type);
  return schema === undefined ? `unknown message type "${type}"` : `malformed "${type}": ${describe(schema, raw)}`;
}

export function explainResult(name: CommandName, result: unknown): string {
  return `malformed result of "${name}": ${describe(Commands[name].result, result)}`;
}
