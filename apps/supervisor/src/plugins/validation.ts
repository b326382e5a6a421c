/**
 * Request validation with two rule sets, and messages that say what is wrong where.
 *
 * Bodies are JSON: they are checked as written, never coerced (`{"sessionId":123}` is a 400, not session "123";
 * `{"start":"false"}` is not false). The URL's parts and the headers are text by nature: their numbers and
 * booleans are parsed, as HTTP means them.
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';

interface SchemaIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const build = AjvCompiler();
// allErrors stays off: collecting every error of a hostile body is a known denial of service.
const shared = { removeAdditional: false, useDefaults: true, allErrors: false } as const;

export function installValidation(app: FastifyInstance): void {
  const body = build({}, { customOptions: { ...shared, coerceTypes: false } });
  const text = build({}, { customOptions: { ...shared, coerceTypes: 'array' } });
  const compiler: FastifySchemaCompiler<FastifySchema> = (route) => (route.httpPart === 'body' ? body : text)(route);
  app.setValidatorCompiler(compiler);
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
