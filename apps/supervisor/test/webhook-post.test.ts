/**
 * The webhook client against a real local HTTP server: keep-alive per target, what a failed answer leaves for
 * lastError, credentials in the URL, the timeout, the address guard at connection time, and the cut-off at
 * shutdown.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockedAddressError } from '../src/net/address-guard.js';
import { WebhookClient } from '../src/events/webhook-post.js';

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: unknown;
}

let server: Server | undefined;
const clients: WebhookClient[] = [];

async function serve(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ base: string; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      seen.push({ url: request.url ?? '', headers: request.headers, body, socket: request.socket });
      answer(request, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, port, seen };
}

const client = (...args: ConstructorParameters<typeof WebhookClient>): WebhookClient => {
  const made = new WebhookClient(...args);
  clients.push(made);
  return made;
};

afterEach(async () => {
  for (const made of clients.splice(0)) made.close();
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

describe('WebhookClient', () => {
  it('posts the body with its headers and keeps the connection for the next delivery', async () => {
    const { base, seen } = await serve((_request, response) => response.writeHead(204).end());
    const webhooks = client(4);
    const headers = () => ({ 'content-type': 'application/json', 'x-wsm-event-id': 'E1' });
    expect(await webhooks.post(`${base}/hook?session=a`, headers(), '{"n":1}', 5000)).toEqual({ statusCode: 204, text: '' });
    expect(await webhooks.post(`${base}/hook?session=a`, headers(), '{"n":2}', 5000)).toEqual({ statusCode: 204, text: '' });
    expect(seen.map(({ url, body }) => [url, body])).toEqual([
      ['/hook?session=a', '{"n":1}'],
      ['/hook?session=a', '{"n":2}'],
    ]);
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'x-wsm-event-id': 'E1', 'content-length': '7' });
    // Kept alive: many deliveries one after the other reuse a few connections instead of opening one each.
    for (let index = 3; index <= 10; index++) await webhooks.post(`${base}/hook?session=a`, headers(), `{"n":${index}}`, 5000);
    expect(seen).toHaveLength(10);
    expect(new Set(seen.map(({ socket }) => socket)).size).toBeLessThan(5);
  });

  it('reads a failed answer for lastError, at most its first 500 characters', async () => {
    const { base } = await serve((_request, response) => response.writeHead(503, { 'content-type': 'text/plain' }).end(`busy ${'x'.repeat(2000)}`));
    const answer = await client(1).post(`${base}/`, {}, '{}', 5000);
    expect(answer.statusCode).toBe(503);
    expect(answer.text).toMatch(/^busy x+$/);
    expect(answer.text).toHaveLength(500);
  });

  it('sends credentials written in the URL as basic authorization', async () => {
    const { port, seen } = await serve((_request, response) => response.writeHead(200).end('ok'));
    await client(1).post(`http://hook%40user:p%3Ass@127.0.0.1:${port}/in`, {}, '{}', 5000);
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('hook@user:p:ss').toString('base64')}`);
    expect(seen[0]!.url).toBe('/in');
  });

  it('gives up on a receiver that does not answer within the timeout, saying so', async () => {
    const { base } = await serve(() => {});
    const started = performance.now();
    await expect(client(1).post(`${base}/`, {}, '{}', 300)).rejects.toMatchObject({ code: 'ETIMEDOUT', message: 'no answer within 300 ms' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('refuses to connect an untrusted target to a private address, and connects a trusted one', async () => {
    const { port, seen } = await serve((_request, response) => response.writeHead(204).end());
    const trusted = `http://localhost:${port}/trusted`;
    const webhooks = client(1, { trusted: new Set([trusted]) });
    const refused = await webhooks.post(`http://localhost:${port}/untrusted`, {}, '{}', 5000).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BlockedAddressError);
    expect(await webhooks.post(trusted, {}, '{}', 5000)).toEqual({ statusCode: 204, text: '' });
    expect(seen.map(({ url }) => url)).toEqual(['/trusted']);
  });

  it('cuts off the requests in flight at shutdown', async () => {
    const { base, seen } = await serve(() => {});
    const webhooks = client(2);
    const inFlight = webhooks.post(`${base}/`, {}, '{}', 60_000);
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    webhooks.abort();
    await expect(inFlight).rejects.toThrow(/aborted at shutdown/);
  });
});
