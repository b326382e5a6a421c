/**
 * docs/api.md keeps up with the code: every error code the service answers with (in its table, with its HTTP
 * status) or records as a lastError, every session status and event type, and every operation of the OpenAPI
 * document has its place in it.
 */
import { readFileSync } from 'node:fs';
import { WorkerErrorCode } from '@wsm/ipc-protocol';
import { describe, expect, it } from 'vitest';
import { Errors, LastErrorCode, WORKER_CODE_STATUS } from '../src/errors.js';
import { EVENT_TYPES } from '../src/events/envelope.js';
import { SESSION_STATUSES } from '../src/session/state-machine.js';

const reference = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
const openapi = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};

/** Codes the error handler writes itself, for requests that Node or Fastify refuse before any route runs. */
const HANDLER_CODES: Record<string, number> = { WSM_BAD_REQUEST: 400, WSM_REQUEST_TIMEOUT: 408 };

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The HTTP status of a code's row in the error table, if it has one. */
function statusInTable(code: string): number | undefined {
  const row = new RegExp(`^\\| \`${code}\` \\| (\\d{3})\\b`, 'm').exec(reference);
  return row === null ? undefined : Number(row[1]);
}

describe('docs/api.md', () => {
  it('has every error code the API answers with in its table, with its HTTP status', () => {
    const answered = new Map<string, number>(Object.entries(HANDLER_CODES));
    for (const ErrorType of Object.values(Errors)) {
      const error = new ErrorType();
      answered.set(error.code, error.statusCode);
    }
    for (const [code, status] of Object.entries(WORKER_CODE_STATUS)) answered.set(code, status!);
    expect(answered.size).toBeGreaterThan(35);
    for (const [code, status] of answered) expect(statusInTable(code), code).toBe(status);
  });

  it("names every code a session's lastError can carry", () => {
    for (const code of [...Object.values(LastErrorCode), ...Object.values(WorkerErrorCode)]) {
      expect(reference, code).toContain(`\`${code}\``);
    }
  });

  it('explains every session status and event type in a table', () => {
    for (const name of [...SESSION_STATUSES, ...EVENT_TYPES]) expect(reference, name).toMatch(new RegExp(`^\\| \`${escape(name)}\` \\|`, 'm'));
  });

  it('has a section for every operation of docs/openapi.json', () => {
    const operations = Object.entries(openapi.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(operations.length).toBeGreaterThanOrEqual(25);
    for (const operation of operations) {
      expect(reference, operation).toMatch(new RegExp(`^### .*\`${escape(operation)}(\\?[^\`]*)?\``, 'm'));
    }
  });
});
