/**
 * The webhook receiver of the events benchmark: a plain node:http server on 127.0.0.1 that answers 204 and
 * notes when each `message.received` arrived, keyed by the message text (the benchmark's token), once per
 * envelope id (deliveries are at least once).
 */
import http from 'node:http';
import { once } from 'node:events';

export async function startReceiver() {
  const arrivals = new Map();
  const seenIds = new Set();
  let duplicates = 0;
  let waiter;
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      response.writeHead(204).end();
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (envelope.type !== 'message.received') return;
      if (seenIds.has(envelope.id)) {
        duplicates++;
        return;
      }
      seenIds.add(envelope.id);
      arrivals.set(envelope.data.body, at);
      // A count, not a scan of every token per arrival (quadratic: it cost the benchmark process seconds of CPU).
      if (waiter !== undefined && waiter.missing.delete(envelope.data.body) && waiter.missing.size === 0) waiter.resolve();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    arrivals,
    get duplicates() {
      return duplicates;
    },
    /** Resolves once every token has arrived, or after `timeoutMs` (then some are missing: the caller counts them). */
    waitFor(tokens, timeoutMs) {
      if (tokens.every((token) => arrivals.has(token))) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(finish, timeoutMs);
        function finish() {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        }
        waiter = { missing: new Set(tokens.filter((token) => !arrivals.has(token))), resolve: finish };
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)).finally(() => server.closeAllConnections()),
  };
}
