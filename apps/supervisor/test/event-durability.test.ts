/**
 * The outbox against the worst case: kill -9 of the supervisor process in the middle of a burst of inbound
 * messages. Every message whose simulate/inbound request was answered 2xx must reach the webhook receiver
 * after a restart; events recorded but not yet acknowledged may arrive too (at-least-once). And kill -9 of the
 * worker mid-burst, while it sends its events and replies in batches: nothing acknowledged is lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ownedPids, removeDir, tempDataDir } from './helpers.js';
import { startSupervisor, waitForRemoteSession, type SupervisorProcess } from './supervisor-process.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

let dataDir: string;
let hook: Receiver | undefined;
const running: SupervisorProcess[] = [];

afterEach(async () => {
  for (const started of running.splice(0)) if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
  for (const pid of ownedPids(dataDir)) process.kill(pid, 'SIGKILL');
  await hook?.close();
  removeDir(dataDir);
});

describe('events across a supervisor kill -9', () => {
  it('are all delivered after a restart when they were acknowledged before the kill', async () => {
    dataDir = tempDataDir();
    // Down during the burst: nothing can be delivered before the kill, everything must come from the outbox.
    hook = await startReceiver(0, 'fail');
    const env = { WEBHOOK_URL: hook.url, WEBHOOK_BACKOFF_MS: '50', WEBHOOK_BACKOFF_MAX_MS: '200', WEBHOOK_MAX_ATTEMPTS: '1000', LOG_LEVEL: 'info' };
    const first = await startSupervisor(dataDir, env);
    running.push(first);
    await first.request('POST', '/start-session', { sessionId: 'burst' });
    await waitForRemoteSession(first, 'burst', (session) => session.status === 'qr');
    await first.request('POST', '/sessions/burst/simulate/scan');

    const acknowledged: string[] = [];
    let sent = 0;
    const sender = async (): Promise<void> => {
      while (sent < 400 && first.child.exitCode === null && first.child.signalCode === null) {
        const index = sent++;
        try {
          const reply = await first.request('POST', '/sessions/burst/simulate/inbound', { from: '15550002222@c.us', text: `burst ${index}` });
          if (reply.status === 200) acknowledged.push(reply.body.id);
        } catch {
          return; // the supervisor is gone
        }
        if (acknowledged.length >= 150 && first.child.signalCode === null) first.child.kill('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: 16 }, sender));
    await first.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);
    expect(acknowledged.length).toBeLessThan(400);

    expect(hook.received).toHaveLength(0);
    hook.mode = 'ok';
    const second = await startSupervisor(dataDir, env);
    running.push(second);
    const receivedIds = (): Set<string> =>
      new Set(hook!.received.filter((entry) => entry.envelope.type === 'message.received').map((entry) => entry.envelope.data.id));
    await hook.waitFor(() => acknowledged.every((id) => receivedIds().has(id)), 30_000);
    await waitForRemoteSession(second, 'burst', (session) => session.status === 'ready');
  });

  it('are all delivered, once each, when the worker is killed mid-burst', async () => {
    dataDir = tempDataDir();
    hook = await startReceiver(0, 'ok');
    const supervisor = await startSupervisor(dataDir, { WEBHOOK_URL: hook.url, WEBHOOK_BACKOFF_MS: '50', WEBHOOK_BACKOFF_MAX_MS: '200' });
    running.push(supervisor);
    await supervisor.request('POST', '/start-session', { sessionId: 'burst' });
    await waitForRemoteSession(supervisor, 'burst', (session) => session.status === 'qr');
    await supervisor.request('POST', '/sessions/burst/simulate/scan');
    const { pid } = (await supervisor.request('GET', '/sessions/burst')).body as { pid: number };

    const acknowledged: string[] = [];
    let sent = 0;
    let killed = false;
    const sender = async (): Promise<void> => {
      while (sent < 300 && !killed) {
        const index = sent++;
        const reply = await supervisor.request('POST', '/sessions/burst/simulate/inbound', { from: '15550002222@c.us', text: `burst ${index}` });
        if (reply.status === 200) acknowledged.push(reply.body.id);
        if (acknowledged.length >= 100 && !killed) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, sender));
    expect(killed).toBe(true);
    const received = (): string[] => hook!.received.filter((entry) => entry.envelope.type === 'message.received').map((entry) => entry.envelope.data.id);
    await hook.waitFor(() => acknowledged.every((id) => received().includes(id)), 30_000);
    // Delivered at least once, and in the normal path (the receiver answered) once.
    expect(new Set(received()).size).toBe(received().length);
  });
});
