/** Loopback HTTP for the benchmarks: a keep-alive JSON client, a free port, and waiting for a server to answer. */
import http from 'node:http';
import { createServer } from 'node:net';
import { delay } from './delay.mjs';

/** A JSON answer read whole: { status, body (undefined when empty), ms since `started` (performance.now()) }. */
export function jsonAnswer(response, started) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: response.statusCode, body: text === '' ? undefined : JSON.parse(text), ms: performance.now() - started });
    });
    response.on('error', reject);
  });
}

/**
 * A client with its own keep-alive pool; `request` resolves { status, body, ms } (ms from call to full answer).
 * `headers` go with every request (an API key).
 */
export function jsonClient(base, { maxSockets = 64, headers = {} } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const url = new URL(base);
  const request = (method, path, payload) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const body = payload === undefined ? undefined : JSON.stringify(payload);
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => jsonAnswer(res, started).then(resolve, reject),
      );
      req.on('error', reject);
      req.end(body);
    });
  /** Like request, but a non-2xx answer is an error. */
  const call = async (method, path, payload) => {
    const answer = await request(method, path, payload);
    if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  return { request, call, close: () => agent.destroy() };
}

/** A port free on 127.0.0.1 right now (for servers that do not report the port they took). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `path` until it answers 200 (a server starting up has no event to wait on from outside). */
export async function waitUntilServing(base, path = '/health', timeoutMs = 30_000) {
  const client = jsonClient(base, { maxSockets: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        if ((await client.request('GET', path)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${base}${path} did not answer within ${timeoutMs} ms`);
      await delay(20);
    }
  } finally {
    client.close();
  }
}

/** Runs `fn` over `items`, at most `concurrency` at a time. */
export async function mapLimit(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runner));
  return results;
}
