/**
 * Runs the compiled supervisor (`dist/server.js`) as a real process, the way production does, and talks to it
 * over HTTP. Its stdout is pino NDJSON: parsed to find the port and to assert on records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { ownedPids, removeDir, TEST_ENV } from './helpers.js';

const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));

export interface SupervisorProcess {
  child: ChildProcess;
  url: string;
  records: Array<Record<string, unknown>>;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startSupervisor(dataDir: string, env: Record<string, string> = {}): Promise<SupervisorProcess> {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      ...TEST_ENV,
      DATA_DIR: dataDir,
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as { code: number | null; signal: NodeJS.Signals | null });
  const records: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          records.push(record);
          const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(record.msg));
          if (match) resolve(match[1]!);
        } catch {
          // not a log record
        }
      }
    });
    void exited.then(({ code }) => reject(new Error(`supervisor exited (${code}) before listening: ${stderr}${JSON.stringify(records.slice(-3))}`)));
  });
  return {
    child,
    url,
    records,
    exited,
    async request(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** Polls GET /sessions/:id until it matches: there is no in-process event to wait on across processes. */
export async function waitForRemoteSession(
  supervisor: SupervisorProcess,
  sessionId: string,
  matches: (session: any) => boolean,
  timeoutMs = 20_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const { status, body } = await supervisor.request('GET', `/sessions/${sessionId}`);
    last = body;
    if (status === 200 && matches(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`session ${sessionId} did not match in time; last: ${JSON.stringify(last)}`);
}

/**
 * Supervisor processes of one test file, on the data dir the test chose (`dataDir()`): after each test, every
 * one still running is killed, whatever they left is killed too, and the dir is removed.
 */
export function useSupervisorProcesses(dataDir: () => string): (env?: Record<string, string>) => Promise<SupervisorProcess> {
  const running: SupervisorProcess[] = [];
  afterEach(async () => {
    for (const started of running.splice(0)) {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill('SIGKILL');
        await started.exited;
      }
    }
    // Whatever a test left (it should be nothing) must not leak into the next one.
    for (const pid of ownedPids(dataDir())) process.kill(pid, 'SIGKILL');
    removeDir(dataDir());
  });
  return async (env = {}) => {
    const started = await startSupervisor(dataDir(), env);
    running.push(started);
    return started;
  };
}

/** Starts each session and scans it: ready, as the supervisor answers it. */
export async function readySessions(
  target: SupervisorProcess,
  ids: string[],
): Promise<Array<{ sessionId: string; pid: number; me: unknown }>> {
  const ready = [];
  for (const sessionId of ids) {
    expect((await target.request('POST', '/start-session', { sessionId })).status).toBe(202);
    await waitForRemoteSession(target, sessionId, (session) => session.status === 'qr');
    const scanned = await target.request('POST', `/sessions/${sessionId}/simulate/scan`);
    expect(scanned.body.status).toBe('ready');
    ready.push(scanned.body);
  }
  return ready;
}
