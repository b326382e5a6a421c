/**
 * A real local HTTP receiver for webhook tests: records every request (headers and raw body) and answers
 * as told: 200, a 500, or never (a hung receiver).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  envelope: { id: string; type: string; sessionId: string; timestamp: string; data: Record<string, any> };
  at: number;
}

export type Mode = 'ok' | 'fail' | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  mode: Mode;
  /** Ids received at least once. */
  ids(): Set<string>;
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0, mode: Mode = 'ok'): Promise<Receiver> {
  const hanging = new Set<import('node:http').ServerResponse>();
  const waiters = new Set<() => void>();
  const receiver: Receiver = {
    url: '',
    port: 0,
    received: [],
    mode,
    ids: () => new Set(receiver.received.map((entry) => entry.envelope.id)),
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate(receiver.received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${receiver.received.length} received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (receiver.mode === 'hang') {
        hanging.add(response);
        return;
      }
      if (receiver.mode === 'fail') {
        response.writeHead(500).end('receiver failing on purpose');
        return;
      }
      receiver.received.push({ headers: request.headers, body, envelope: JSON.parse(body), at: Date.now() });
      response.writeHead(204).end();
      for (const wake of [...waiters]) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  return receiver;
}

/** A port nothing listens on (yet): a receiver that is down. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
