import { afterEach, describe, expect, it } from 'vitest';
import { isLive } from '@wsm/procfs';
import { eventually, noOwnedProcesses, ownedPids, removeDir, tempDataDir } from './helpers.js';
import { readySessions, useSupervisorProcesses, waitForRemoteSession, type SupervisorProcess } from './supervisor-process.js';

let dataDir: string;

const supervisor = useSupervisorProcesses(() => dataDir);



describe('the supervisor process', () => {
  it('on SIGTERM stops every worker and exits 0 with no process left', async () => {
    dataDir = tempDataDir();
    const target = await supervisor();
    const sessions = await readySessions(target, ['a', 'b', 'c']);
    expect(ownedPids(dataDir).sort()).toEqual(sessions.map((session) => session.pid).sort());

    target.child.kill('SIGTERM');
    expect(await target.exited).toEqual({ code: 0, signal: null });
    expect(ownedPids(dataDir)).toEqual([]);
    for (const session of sessions) expect(isLive(session.pid)).toBe(false);
    expect(target.records.some((record) => record.msg === 'shut down')).toBe(true);
    // Every worker was asked and stopped by itself, without escalation.
    expect(target.records.filter((record) => record.msg === 'worker stopping' || record.msg === 'session stopped').map((record) => `${record.sessionId} ${record.msg}`).sort()).toEqual(['a session stopped', 'a worker stopping', 'b session stopped', 'b worker stopping', 'c session stopped', 'c worker stopping']);
  });

  it('shuts down gracefully even while a client holds an SSE stream open', async () => {
    dataDir = tempDataDir();
    const target = await supervisor();
    await readySessions(target, ['watched']);
    const controller = new AbortController();
    const stream = await fetch(`${target.url}/events`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    const reading = (async () => {
      for await (const _chunk of stream.body as unknown as AsyncIterable<Uint8Array>);
    })().catch(() => undefined);
    target.child.kill('SIGTERM');
    expect(await target.exited).toEqual({ code: 0, signal: null });
    await reading;
    expect(target.records.some((record) => record.msg === 'worker stopping')).toBe(true);
    expect(ownedPids(dataDir)).toEqual([]);
  });

  it('killed with SIGKILL leaves no worker behind, and its successor restores the sessions to ready', async () => {
    dataDir = tempDataDir();
    const first = await supervisor();
    const before = await readySessions(first, ['one', 'two']);
    await first.request('POST', '/sessions', { sessionId: 'idle', start: false });

    first.child.kill('SIGKILL');
    await first.exited;
    // The workers see their IPC channel close and leave by themselves.
    await noOwnedProcesses(dataDir);

    const second = await supervisor();
    for (const session of before) {
      const restored = await waitForRemoteSession(second, session.sessionId, (s) => s.status === 'ready');
      expect(restored.me).toEqual(session.me);
      expect(restored.pid).not.toBe(session.pid);
    }
    const idle = await second.request('GET', '/sessions/idle');
    expect(idle.body).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
  });

  it("kills a predecessor's hung worker before restoring its session", async () => {
    dataDir = tempDataDir();
    const first = await supervisor();
    const [hung] = await readySessions(first, ['hung']);
    process.kill(hung!.pid, 'SIGSTOP');
    first.child.kill('SIGKILL');
    await first.exited;
    // A stopped process cannot notice anything: it stays until someone kills it.
    expect(isLive(hung!.pid)).toBe(true);

    const second = await supervisor();
    const restored = await waitForRemoteSession(second, 'hung', (s) => s.status === 'ready');
    expect(restored.pid).not.toBe(hung!.pid);
    await eventually(() => !isLive(hung!.pid), 5000, 'the orphan to die');
    expect(second.records.some((record) => record.msg === 'killed processes left behind by a previous supervisor')).toBe(true);
    expect(ownedPids(dataDir)).toEqual([restored.pid]);
  });

  it('refuses to share a DATA_DIR with a live supervisor and leaves its workers alone', async () => {
    dataDir = tempDataDir();
    const first = await supervisor();
    const [session] = await readySessions(first, ['mine']);
    await expect(supervisor()).rejects.toThrow(/WSM_DATA_DIR_IN_USE|in use by another supervisor/);
    expect(isLive(session!.pid)).toBe(true);
    expect((await first.request('GET', '/sessions/mine')).body.status).toBe('ready');
  });
});
