/** The emulator's HTTPS listener; routing is the caller's. */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Certificate } from './certificate.js';

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function listen(
  certificate: Certificate,
  host: string,
  port: number,
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Listening> {
  const server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // event streams and keep-alive sockets would otherwise hold close() open
        server.closeAllConnections();
      }),
  };
}
