/**
 * Test helpers: a supervisor app on a fresh DATA_DIR with real workers, and ways to wait on what it does.
 * Waiting is on the manager's events, never on fixed sleeps; only process disappearance (which has no event
 * for processes that are not our children) is polled from /proc.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type { EngineEvent } from '@wsm/ipc-protocol';
import { afterEach } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { SessionLogs } from '../src/session-logs.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Session } from '../src/schemas/session.js';
import { findOwnedProcesses } from '@wsm/procfs';
import type { SessionStatus } from '../src/session/state-machine.js';
import type { App } from '../src/types.js';

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Real media files (a JPEG, a PDF, an Ogg Opus voice note, H.264 and HEVC videos, ...), shared with the emulator's tests. */
export const mediaFixture = (name: string): string =>
  fileURLToPath(new URL(`../../../packages/wa-web-emulator/test/fixtures/${name}`, import.meta.url));

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'wsm-test-'));
}

/** Test settings, in-process and for a supervisor process alike: simulated engine, quick heartbeats and restarts. */
export const TEST_ENV: Readonly<Record<string, string>> = {
  DEFAULT_ENGINE: 'simulated',
  HEARTBEAT_TIMEOUT_MS: '2000',
  RESTART_BACKOFF_MS: '20',
  STOP_TIMEOUT_MS: '2000',
  LOG_LEVEL: 'debug',
};

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ ...TEST_ENV, DATA_DIR: dataDir, ...env });
}

export interface TestApp {
  app: App;
  config: Config;
  close(): Promise<void>;
}

export async function startTestApp(dataDir: string, env: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(dataDir, env);
  // Logged at debug into the session log buffers; printed only when asked (WSM_TEST_LOG=1) for a failing test.
  const sessionLogs = new SessionLogs(config.sessionLogRecords);
  const destination = process.env.WSM_TEST_LOG ? process.stdout : new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger('debug', sessionLogs, destination);
  const app = await buildApp({ config, logger, sessionLogs });
  await app.ready();
  return { app, config, close: () => app.close() };
}

/**
 * One app per test on a fresh DATA_DIR (or the same one again, to test a restart); after each test the app is
 * closed, no process of it may be left, and the directory is removed.
 */
export function useTestApps(): { open(env?: Record<string, string>, sameDataDir?: boolean): Promise<TestApp>; readonly dataDir: string } {
  let dataDir = '';
  let current: TestApp | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
    await noOwnedProcesses(dataDir);
    removeDir(dataDir);
  });
  return {
    get dataDir() {
      return dataDir;
    },
    async open(env = {}, sameDataDir = false) {
      if (!sameDataDir) dataDir = tempDataDir();
      current = await startTestApp(dataDir, env);
      return current;
    },
  };
}

type Wanted = SessionStatus | ((session: Session) => boolean);

/** Resolves with the session once it matches; rejects after `timeoutMs` with the statuses it went through. */
export function waitForSession(app: App, sessionId: string, wanted: Wanted, timeoutMs = 20_000): Promise<Session> {
  const matches = (session: Session): boolean =>
    typeof wanted === 'string' ? session.status === wanted : wanted(session);
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const session = app.sessions.view(sessionId);
      if (session !== undefined && matches(session)) {
        cleanup();
        resolve(session);
        return true;
      }
      return false;
    };
    const onStatus = (change: { sessionId: string; status: string }): void => {
      if (change.sessionId !== sessionId) return;
      seen.push(change.status);
      check();
    };
    const timer = setTimeout(() => {
      cleanup();
      const now = app.sessions.view(sessionId);
      reject(new Error(`session ${sessionId} never matched ${String(wanted)}; went through [${seen.join(', ')}], now ${now?.status}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      app.sessions.off('status', onStatus);
    };
    app.sessions.on('status', onStatus);
    check();
  });
}

/** Polls a condition that has no event (a process leaving), up to `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Live (non-zombie) processes that carry this data dir's owner mark: workers and whatever they started. */
export function ownedPids(dataDir: string): number[] {
  return findOwnedProcesses(dataDir).map((stat) => stat.pid);
}

export async function noOwnedProcesses(dataDir: string, timeoutMs = 15_000): Promise<void> {
  await eventually(() => ownedPids(dataDir).length === 0, timeoutMs, `no process left for ${dataDir}`);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(body),
});

type ManagerEvent = { sessionId: string; event: EngineEvent };

/** Resolves with the first engine event (message.received, message.ack) of a session that matches. */
export function nextEvent(
  app: App,
  sessionId: string,
  matches: (event: EngineEvent) => boolean,
  timeoutMs = 20_000,
): Promise<EngineEvent> {
  return new Promise((resolve, reject) => {
    const onEvent = ({ sessionId: id, event }: ManagerEvent): void => {
      if (id !== sessionId || !matches(event)) return;
      clearTimeout(timer);
      app.sessions.off('event', onEvent);
      resolve(event);
    };
    const timer = setTimeout(() => {
      app.sessions.off('event', onEvent);
      reject(new Error(`no matching event from ${sessionId} within ${timeoutMs} ms`));
    }, timeoutMs);
    app.sessions.on('event', onEvent);
  });
}

/** Records every status a session goes through from now on. */
export function recordStatuses(app: App, sessionId: string): string[] {
  const seen: string[] = [];
  app.sessions.on('status', (change) => {
    if (change.sessionId === sessionId) seen.push(change.status);
  });
  return seen;
}

export interface FilePart {
  name?: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** A multipart/form-data body, written out by hand so the test controls every byte of it. */
export function multipartForm(fields: Record<string, string>, files: FilePart[] = []): { headers: Record<string, string>; payload: Buffer } {
  const boundary = `----wsm${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${file.name ?? 'file'}"; filename="${file.filename ?? 'upload.bin'}"\r\n` +
          `content-type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(parts) };
}

/** A real local HTTP server for media URLs: each path answers its body with its content-type, anything else 404. */
export interface FileServer {
  url: string;
  close(): Promise<void>;
}

export async function serveFiles(files: Record<string, { contentType: string; body: Buffer }>): Promise<FileServer> {
  const server = createServer((request, response) => {
    const file = files[request.url ?? ''];
    if (file === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': file.contentType }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
