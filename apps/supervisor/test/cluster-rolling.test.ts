/**
 * A rolling deploy: three nodes restarted one by one (SIGTERM, then the same node again) while inbound messages
 * keep coming through whichever node is up. Every acknowledged message reaches the webhook receiver; each
 * session's downtime (time not `ready`) is measured from polling.
 */
import { describe, expect, it, vi } from 'vitest';
import { startNode, type Node } from './cluster-nodes.js';
import { eventually } from './helpers.js';
import { testDatabase } from './postgres.js';
import { waitForRemoteSession } from './supervisor-process.js';
import { startReceiver } from './webhook-receiver.js';

vi.setConfig({ testTimeout: 300_000 });

const SESSIONS = Array.from({ length: 9 }, (_, index) => `roll-${index}`);

describe('rolling restart of a cluster', () => {
  it('delivers every acknowledged message and keeps each session\'s downtime short', async () => {
    const receiver = await startReceiver();
    try {
      const databaseUrl = await testDatabase();
      const env = { WEBHOOK_URL: receiver.url, WEBHOOK_BACKOFF_MS: '200' };
      let nodes: Node[] = [await startNode(databaseUrl, 'r1', env), await startNode(databaseUrl, 'r2', env), await startNode(databaseUrl, 'r3', env)];
      await eventually(async () => ((await nodes[0]!.call('GET', '/nodes')).body.length === 3 ? true : undefined), 10_000, 'three nodes');
      for (const sessionId of SESSIONS) {
        expect((await nodes[0]!.call('POST', '/start-session', { sessionId })).status).toBe(202);
        await waitForRemoteSession(nodes[0]!, sessionId, (session) => session.status === 'qr');
        await nodes[1]!.call('POST', `/sessions/${sessionId}/simulate/scan`);
      }
      for (const sessionId of SESSIONS) await waitForRemoteSession(nodes[2]!, sessionId, (session) => session.status === 'ready');

      // Load: one inbound message at a time per session, through any node that answers; acknowledged = 2xx.
      const acknowledged = new Set<string>();
      let refusedAnswers = 0;
      let running = true;
      const load = SESSIONS.map(async (sessionId, lane) => {
        for (let count = 0; running; count++) {
          const text = `${sessionId} #${count}`;
          for (let attempt = 0; running; attempt++) {
            const via = nodes[(lane + attempt) % nodes.length]!;
            const answer = await via.call('POST', `/sessions/${sessionId}/simulate/inbound`, { from: '15550003333', text }).catch(() => undefined);
            if (answer !== undefined && answer.status === 200) {
              acknowledged.add(text);
              break;
            }
            refusedAnswers++;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      // Downtime: every 100 ms, which sessions are not ready (asked of a node that is up).
      const down = new Map<string, number>(SESSIONS.map((sessionId) => [sessionId, 0]));
      let polling = true;
      const poller = (async () => {
        let last = Date.now();
        while (polling) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const now = Date.now();
          for (const node of nodes) {
            const answer = await node.call('GET', '/sessions').catch(() => undefined);
            if (answer?.status !== 200) continue;
            for (const session of answer.body as Array<{ sessionId: string; status: string }>) {
              if (session.status !== 'ready') down.set(session.sessionId, (down.get(session.sessionId) ?? 0) + (now - last));
            }
            break;
          }
          last = now;
        }
      })();

      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (let index = 0; index < 3; index++) {
        const restarted = await nodes[index]!.restart();
        nodes = nodes.map((node, at) => (at === index ? restarted : node));
        // The next node goes once every session is ready again.
        for (const sessionId of SESSIONS) await waitForRemoteSession(restarted, sessionId, (session) => session.status === 'ready', 60_000);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      running = false;
      await Promise.all(load);
      polling = false;
      await poller;

      // Every acknowledged message reached the receiver (at least once; receivers dedupe on the event id).
      await receiver.waitFor(
        (received) => {
          const bodies = new Set(received.filter((entry) => entry.envelope.type === 'message.received').map((entry) => String(entry.envelope.data.body)));
          return [...acknowledged].every((text) => bodies.has(text));
        },
        60_000,
      );
      const downtimes = [...down.values()].sort((a, b) => a - b);
      console.log(
        `rolling restart: ${acknowledged.size} messages acknowledged, ${refusedAnswers} answers refused or failed on the way; ` +
          `downtime per session (ms): median ${downtimes[Math.floor(downtimes.length / 2)]}, max ${downtimes.at(-1)}`,
      );
      expect(acknowledged.size).toBeGreaterThan(SESSIONS.length * 3);
    } finally {
      await receiver.close();
    }
  });
});
