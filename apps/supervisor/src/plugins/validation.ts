/**
 * Request validation with two rule sets, and messages that say what is wrong where.
 *
 * Bodies are JSON: they are checked as written, never coerced (`{"sessionId":123}` is a 400, not session "123";
 * `{"start":"false"}` is not false). The URL's parts and the headers are text by nature: their numbers and
 * booleans are parsed, as HTTP means them. A multipart/form-data body is a stream Fastify does not parse: its
 * schema only documents the form, and the route checks the fields it reads with bodyCheck().
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';

interface SchemaIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const build = AjvCompiler();
// allErrors stays off: collecting every error of a hostile body is a known denial of service.
// unicode off: lengths count UTF-16 code units, as JavaScript's .length and the IPC protocol's TypeBox checks
// do; Ajv's default counts code points, and would let through a text of emoji twice as long as the worker takes.
// Ajv 8 still honours the option but warns that it is deprecated, at every compiler built: that one warning is
// dropped, every other goes to the console as before.
const ajvLogger = {
  log: console.log,
  warn: (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('DEPRECATED: option unicode')) return;
    console.warn(...args);
  },
  error: console.error,
};
const shared = { removeAdditional: false, useDefaults: true, allErrors: false, unicode: false, logger: ajvLogger } as const;

const bodyRules = build({}, { customOptions: { ...shared, coerceTypes: false } });

/** Read by the route from the stream (bodyCheck), not by Fastify. */
const isStreamedBody = (route: { httpPart?: string; contentType?: string }): boolean =>
  route.httpPart === 'body' && route.contentType?.startsWith('multipart/') === true;

export function installValidation(app: FastifyInstance): void {
  const text = build({}, { customOptions: { ...shared, coerceTypes: 'array' } });
  const compiler: FastifySchemaCompiler<FastifySchema> = (route) => {
    if (isStreamedBody(route as { httpPart?: string; contentType?: string })) return () => true;
    return (route.httpPart === 'body' ? bodyRules : text)(route);
  };
  app.setValidatorCompiler(compiler);
}

/**
 * A body check by the same rules and in the same words as Fastify's: the first problem ("body.caption must be
 * a string"), or undefined when the value fits. Defaults are filled in, as for JSON bodies.
 */
export function bodyCheck(schema: TSchema): (value: unknown) => string | undefined {
  const validate = bodyRules({ schema, method: 'POST', url: '/', httpPart: 'body' }) as ((value: unknown) => boolean) & {
    errors?: SchemaIssue[] | null;
  };
  return (value) => (validate(value) ? undefined : formatSchemaErrors(validate.errors ?? [], 'body').message);
}

/** `/webhooks/0/url` of the body → `body.webhooks[0].url`. */
export function fieldName(dataVar: string, instancePath: string): string {
  let name = dataVar;
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    name += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return name;
}

const article = (type: unknown): string => {
  const name = String(type);
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
};

/** One readable sentence for the first schema violation: the field, and what it must be. */
export function describeIssue(issue: SchemaIssue, dataVar: string): string {
  const field = fieldName(dataVar, issue.instancePath);
  const { params } = issue;
  switch (issue.keyword) {
    case 'type':
      return `${field} must be ${article(params.type)}`;
    case 'enum':
      return `${field} must be one of: ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    case 'required':
      return `${field}.${String(params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${field} has an unknown field '${String(params.additionalProperty)}'`;
    default:
      return `${field} ${issue.message ?? 'is invalid'}`;
  }
}

export function formatSchemaErrors(errors: readonly SchemaIssue[], dataVar: string): Error {
  const first = errors[0];
  return new Error(first === undefined ? `${dataVar} is invalid` : describeIssue(first, dataVar));
}
