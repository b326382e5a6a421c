/** Reading JSON bodies and writing JSON answers, with errors as `{ error: { code, message } }`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorError, errors } from './errors.js';

const MAX_BODY_BYTES = 1_000_000;

/** `maxBytes` above the default for bodies that carry media in base64 (the control API's `deliver`). */
export async function readJson(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw errors.badRequest('the body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw errors.badRequest('the body is not JSON');
  }
}

export function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof EmulatorError) {
    sendJson(response, error.statusCode, { error: { code: error.code, message: error.message } });
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  sendJson(response, 500, { error: { code: 'WAE_INTERNAL', message } });
}

/** Field readers for request bodies: each names the field it rejects. */
export type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('the body must be a JSON object');
  return value as Body;
}

export function text(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string') throw errors.badRequest(`"${key}" must be a string`);
  return value;
}

export function optionalText(body: Body, key: string): string | undefined {
  return body[key] === undefined || body[key] === null ? undefined : text(body, key);
}

export function nullableText(body: Body, key: string): string | null {
  return body[key] === null ? null : text(body, key);
}

export function integer(body: Body, key: string): number {
  const value = body[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw errors.badRequest(`"${key}" must be a non-negative integer`);
  return value;
}

export function optionalInteger(body: Body, key: string): number | undefined {
  return body[key] === undefined ? undefined : integer(body, key);
}

export function optionalBoolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw errors.badRequest(`"${key}" must be a boolean`);
  return value;
}

export function optionalTextList(body: Body, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw errors.badRequest(`"${key}" must be an array of strings`);
  return value as string[];
}
