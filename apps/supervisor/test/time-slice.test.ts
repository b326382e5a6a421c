import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimeSlice } from '../src/time-slice.js';

/** Keeps the thread busy, as a scan of /proc or a burst of session starts would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('TimeSlice', () => {
  const server = createServer((_request, response) => {
    handledAt = performance.now();
    response.end('ok');
  });
  let handledAt: number | undefined;
  let port = 0;
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  /**
   * Asks for a request, then runs `work` at once; says whether the request was answered before `work` ended. The
   * client and the server share this event loop: connecting, sending and answering all need it to turn.
   */
  async function handledDuring(work: () => Promise<void> | void): Promise<boolean> {
    handledAt = undefined;
    const answered = new Promise<void>((resolve, reject) => {
      const sent = request({ port, host: '127.0.0.1', path: '/' }, (response) => response.resume().on('end', resolve));
      sent.on('error', reject).end();
    });
    await work();
    const endedAt = performance.now();
    await answered;
    return handledAt !== undefined && handledAt < endedAt;
  }

  it('answers a request that arrives during long synchronous work cut into slices', async () => {
    const sliced = async (): Promise<void> => {
      const slice = new TimeSlice(5);
      for (let i = 0; i < 60; i++) {
        busy(5);
        if (slice.spent) await slice.next();
      }
    };
    expect(await handledDuring(sliced)).toBe(true);
    // The same work in one piece keeps the request waiting until it is over.
    expect(await handledDuring(() => busy(300))).toBe(false);
  });

  it('is spent once its time has passed, and fresh after the turn', async () => {
    const slice = new TimeSlice(20);
    expect(slice.spent).toBe(false);
    busy(25);
    expect(slice.spent).toBe(true);
    await slice.next();
    expect(slice.spent).toBe(false);
  });
});
