import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { describeStartupError, exposureWarning, isLoopbackHost } from '../src/startup-checks.js';
import { eventually, removeDir, tempDataDir, TEST_ENV } from './helpers.js';
import { startSupervisor, type SupervisorProcess } from './supervisor-process.js';
import { openEventStream } from './sse-client.js';

const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));

let dataDir: string;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeDir(dataDir);
});

/** Runs the compiled supervisor expecting it to refuse to start: its exit code and both outputs. */
async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, ...TEST_ENV, DATA_DIR: dataDir, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr, stdout };
}

async function supervisor(env: Record<string, string>): Promise<SupervisorProcess> {
  const started = await startSupervisor(dataDir, env);
  cleanups.push(async () => {
    if (started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGTERM');
      await started.exited;
    }
  });
  return started;
}

function expectOneLineRefusal(result: { code: number | null; stderr: string }, problem: RegExp): void {
  expect(result.code).toBe(78);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^wsm: /);
  expect(lines[0]).toMatch(problem);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  // The lock of DATA_DIR is not left behind for the next attempt.
  expect(existsSync(join(dataDir, 'supervisor.lock'))).toBe(false);
}

describe('configuration mistakes stop start-up with one line and exit 78', () => {
  it('a HOST that is no address', async () => {
    dataDir = tempDataDir();
    expectOneLineRefusal(await runUntilExit({ HOST: 'not-a-host' }), /HOST=not-a-host/);
  });

  it('a port already in use', async () => {
    dataDir = tempDataDir();
    const squatter: Server = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const { port } = squatter.address() as { port: number };
    expectOneLineRefusal(await runUntilExit({ PORT: String(port) }), new RegExp(`port is already in use \\(PORT=${port}\\)`));
  });

  it('API_KEY set but empty, which used to switch authentication off', async () => {
    dataDir = tempDataDir();
    expectOneLineRefusal(await runUntilExit({ API_KEY: '' }), /API_KEY is set but empty/);
    expectOneLineRefusal(await runUntilExit({ API_KEY: '   ' }), /API_KEY is set but empty/);
  });

  it('a CORS origin that is not an exact origin', async () => {
    dataDir = tempDataDir();
    expectOneLineRefusal(await runUntilExit({ API_KEY: 'k', CORS_ORIGINS: '*' }), /CORS_ORIGINS .*: \*$/);
  });

  it('a DATA_DIR another supervisor holds, leaving its lock alone', async () => {
    dataDir = tempDataDir();
    const first = await supervisor({});
    const second = await runUntilExit({});
    expect(second.code).toBe(78);
    expect(second.stderr.trim()).toMatch(/^wsm: DATA_DIR .* is in use by another supervisor \(pid \d+\)$/);
    expect(existsSync(join(dataDir, 'supervisor.lock'))).toBe(true);
    expect((await first.request('GET', '/health')).status).toBe(200);
  });
});

describe('a supervisor reachable beyond this machine', () => {
  it('warns loudly when it listens on a non-loopback address without API_KEY', async () => {
    dataDir = tempDataDir();
    const open = await supervisor({ HOST: '0.0.0.0' });
    const warning = await eventually(
      () => open.records.find((record) => record.level === 40 && /without API_KEY/.test(String(record.msg))),
      10_000,
      'the warning',
    );
    expect(warning.msg).toMatch(/^listening on 0\.0\.0\.0, beyond this machine, without API_KEY/);
  });

  it('does not warn with API_KEY set, and masks credentials in the URLs it logs', async () => {
    dataDir = tempDataDir();
    const key = 'process-key-that-must-not-leak';
    // At debug (TEST_ENV) every request is logged with its URL (request-logging.ts).
    const guarded = await supervisor({ HOST: '0.0.0.0', API_KEY: key });
    // The warning would come between listening and restoring.
    await eventually(() => guarded.records.some((record) => record.msg === 'restoring sessions'), 10_000, 'restoring');
    expect(guarded.records.some((record) => /without API_KEY/.test(String(record.msg)))).toBe(false);

    // A key put in the query string does not authenticate, and must not be logged either.
    const leaked = await fetch(`${guarded.url}/sessions?limit=5&api_key=${key}&apiKey=${key}&Access_Token=${key}&password=${key}`);
    expect(leaked.status).toBe(401);
    const { token } = (await (await fetch(`${guarded.url}/auth/token`, { headers: { 'x-api-key': key } })).json()) as { token: string };
    const stream = await openEventStream(`${guarded.url}/events?sessionId=watched&token=${token}`);
    stream.close();

    // The log arrives through a pipe, maybe after the answer: waited for, not assumed.
    const loggedUrls = (): string[] =>
      guarded.records.flatMap((record) => {
        const url = (record.req as { url?: string } | undefined)?.url;
        return url === undefined ? [] : [url];
      });
    const expected = [
      '/sessions?limit=5&api_key=[redacted]&apiKey=[redacted]&Access_Token=[redacted]&password=[redacted]',
      '/events?sessionId=watched&token=[redacted]',
    ];
    await eventually(() => expected.every((url) => loggedUrls().includes(url)), 10_000, `logged ${expected.join(' and ')}`);
    const everything = JSON.stringify(guarded.records);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(token.split('.').pop());
  });
});

describe('request logs', () => {
  const requestLines = (records: SupervisorProcess['records'], reqId: unknown): string[] =>
    records.filter((record) => record.reqId === reqId).map((record) => `${String(record.level)} ${String(record.msg)}`);

  const get = async (server: SupervisorProcess, path: string): Promise<number> =>
    (await fetch(`${server.url}${path}`, { headers: { 'x-api-key': 'k' } })).status;

  it('at the default level, only a request that fails is logged; at debug every one is', async () => {
    dataDir = tempDataDir();
    const quiet = await supervisor({ API_KEY: 'k', LOG_LEVEL: 'info' });
    expect(await get(quiet, '/sessions')).toBe(200);
    expect(await get(quiet, '/sessions/nobody')).toBe(404);
    // The refusal's line comes through a pipe: waited for. By then the earlier request's lines would be there too.
    await eventually(() => quiet.records.some((record) => record.msg === 'request refused'), 10_000, 'the refusal logged');
    const refusal = quiet.records.find((record) => record.msg === 'request refused')!;
    expect(refusal).toMatchObject({ level: 30, code: 'WSM_SESSION_NOT_FOUND' });
    expect(requestLines(quiet.records, refusal.reqId)).toEqual(['30 request refused']);
    expect(quiet.records.filter((record) => record.msg === 'incoming request' || record.msg === 'request completed')).toEqual([]);
    quiet.child.kill('SIGTERM');
    await quiet.exited;

    removeDir(dataDir);
    dataDir = tempDataDir();
    const verbose = await supervisor({ API_KEY: 'k', LOG_LEVEL: 'debug' });
    expect(await get(verbose, '/sessions')).toBe(200);
    await eventually(() => verbose.records.some((record) => record.msg === 'request completed'), 10_000, 'the request logged');
    const completed = verbose.records.find((record) => record.msg === 'request completed')!;
    expect(requestLines(verbose.records, completed.reqId)).toEqual(['20 incoming request', '20 request completed']);
    expect(completed).toMatchObject({ res: { statusCode: 200 } });
  });
});

describe('start-up checks', () => {
  const config = loadConfig({ DATA_DIR: '/srv/wsm', HOST: '0.0.0.0', PORT: '8080' });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.10', 'example.com', 'localhost.example.com', '::ffff:10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('warns only for a non-loopback address without API_KEY', () => {
    expect(exposureWarning(config, 8080)).toMatch(/0\.0\.0\.0.*without API_KEY.*port 8080/);
    expect(exposureWarning({ ...config, apiKey: 'k' })).toBeUndefined();
    expect(exposureWarning({ ...config, host: '127.0.0.1' })).toBeUndefined();
  });

  it('explains the operator mistakes it knows, and nothing else', () => {
    const systemError = (fields: Record<string, string>): Error => Object.assign(new Error(fields.message ?? 'failed'), fields);
    expect(describeStartupError(systemError({ code: 'EADDRINUSE', syscall: 'listen' }), config)).toBe(
      'cannot listen on 0.0.0.0:8080: the port is already in use (PORT=8080)',
    );
    expect(describeStartupError(systemError({ code: 'EADDRNOTAVAIL', syscall: 'listen' }), config)).toMatch(/HOST=0\.0\.0\.0 is not an address/);
    expect(describeStartupError(systemError({ code: 'EACCES', syscall: 'listen' }), config)).toMatch(/permission denied/);
    expect(describeStartupError(systemError({ code: 'EACCES', path: '/srv/wsm/registry.db', message: "EACCES: permission denied, open '/srv/wsm/registry.db'" }), config)).toMatch(
      /^DATA_DIR \/srv\/wsm is not usable: EACCES/,
    );
    expect(describeStartupError(systemError({ code: 'EACCES', path: '/etc/shadow' }), config)).toBeUndefined();
    expect(describeStartupError(new TypeError('a bug'), config)).toBeUndefined();
    expect(describeStartupError('a string', config)).toBeUndefined();
  });
});
