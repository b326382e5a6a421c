/**
 * docs/openapi.json: the committed document is what the app generates, and the document is written for people:
 * every operation summarized and described, every response described, and examples that fit their schemas.
 */
import { readFileSync } from 'node:fs';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT_PATH, renderOpenApiDocument } from '../src/openapi-document.js';

type Json = Record<string, any>;

const committedPath = new URL(`../../../${OPENAPI_DOCUMENT_PATH}`, import.meta.url);
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

let generated = '';
let document: Json = {};

beforeAll(async () => {
  generated = await renderOpenApiDocument();
  document = JSON.parse(generated);
});

function operations(): Array<{ name: string; operation: Json }> {
  return Object.entries<Json>(document.paths).flatMap(([path, item]) =>
    Object.entries<Json>(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );
}

/** The first place two JSON values differ, as a path, to say where a stale document went stale. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const found = firstDifference((a as Json)[key], (b as Json)[key], `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return path;
}

describe('docs/openapi.json', () => {
  it('is the document the app generates', () => {
    const committed = readFileSync(committedPath, 'utf8');
    if (committed !== generated) {
      let where: string | undefined;
      try {
        where = firstDifference(JSON.parse(committed), document);
      } catch {
        where = 'the file is not JSON';
      }
      expect.fail(`docs/openapi.json is stale: run pnpm openapi (first difference at ${where ?? 'formatting'})`);
    }
  });

  it('has nothing of the machine that generated it', () => {
    expect(generated).not.toMatch(/wsm-openapi-|\/tmp\/|\/home\//);
    expect(generated.endsWith('}\n')).toBe(true);
    expect(generated).toBe(`${JSON.stringify(document, null, 2)}\n`);
  });
});

describe('every operation in the OpenAPI document', () => {
  it('has a summary, a description and an operationId', () => {
    const ids = new Set<string>();
    for (const { name, operation } of operations()) {
      expect(operation.summary?.trim(), `${name} summary`).toBeTruthy();
      expect(operation.description?.trim(), `${name} description`).toBeTruthy();
      expect(ids.has(operation.operationId), `${name} operationId ${operation.operationId} is unique`).toBe(false);
      ids.add(operation.operationId);
    }
    expect(operations().length).toBeGreaterThanOrEqual(25);
  });

  it('describes every response, never as "Default Response", and errors with the coded ErrorReply', () => {
    for (const { name, operation } of operations()) {
      for (const [status, response] of Object.entries<Json>(operation.responses)) {
        expect(response.description, `${name} ${status}`).toBeTruthy();
        expect(response.description, `${name} ${status}`).not.toBe('Default Response');
        if (Number(status) >= 400) {
          const media = response.content['application/json'];
          expect(media.schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/ErrorReply' });
          expect(Object.keys(media.examples).length, `${name} ${status} examples`).toBeGreaterThan(0);
          for (const code of Object.keys(media.examples)) expect(response.description, `${name} ${status}`).toContain(code);
        }
      }
      expect(Object.keys(operation.responses).some((status) => status.startsWith('2')), `${name} has a 2xx`).toBe(true);
    }
  });

  it('shows an example of every request body and every 2xx body', () => {
    for (const { name, operation } of operations()) {
      if (operation.requestBody !== undefined) {
        for (const [type, media] of Object.entries<Json>(operation.requestBody.content)) {
          expect(media.example ?? media.examples, `${name} request ${type}`).toBeDefined();
        }
      }
      for (const [status, response] of Object.entries<Json>(operation.responses)) {
        if (!status.startsWith('2') || response.content === undefined) continue;
        for (const [type, media] of Object.entries<Json>(response.content)) {
          expect(media.example ?? media.examples, `${name} ${status} ${type}`).toBeDefined();
        }
      }
    }
  });

  it('has examples that fit their schemas', () => {
    const validatorFor = AjvCompiler()({}, { customOptions: { strict: false, coerceTypes: false, allErrors: true, removeAdditional: false } });
    const checked: string[] = [];
    const check = (where: string, media: Json): void => {
      if (media.schema === undefined) return;
      const examples: Array<[string, unknown]> =
        media.example !== undefined
          ? [['example', media.example]]
          : Object.entries<Json>(media.examples ?? {}).map(([key, example]) => [key, example.value]);
      const validate = validatorFor({ schema: { allOf: [media.schema], components: document.components }, method: 'GET', url: '/', httpPart: 'body' });
      for (const [key, value] of examples) {
        const valid = validate(structuredClone(value)) as boolean;
        expect(valid, `${where} ${key}: ${JSON.stringify((validate as unknown as { errors: unknown }).errors)}`).toBe(true);
        checked.push(`${where} ${key}`);
      }
    };
    for (const { name, operation } of operations()) {
      for (const [type, media] of Object.entries<Json>(operation.requestBody?.content ?? {})) check(`${name} request ${type}`, media);
      for (const [status, response] of Object.entries<Json>(operation.responses)) {
        for (const [type, media] of Object.entries<Json>(response.content ?? {})) check(`${name} ${status} ${type}`, media);
      }
    }
    expect(checked.length).toBeGreaterThan(100);
  });
});
