import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { availableMemoryBytes } from '@wsm/procfs';
import { eventually, json, recordStatuses, useTestApps, waitForSession, type TestApp } from './helpers.js';

const apps = useTestApps();

async function readySession(test: TestApp, sessionId: string) {
  await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId }) });
  await waitForSession(test.app, sessionId, 'qr');
  return (await test.app.inject({ method: 'POST', url: `/sessions/${sessionId}/simulate/scan` })).json();
}

describe('memory accounting and recycling', () => {
  it('shows each session its memory and recycles one that grows past the limit, back to ready without a QR', async () => {
    const test = await apps.open({ SESSION_MAX_MEMORY_MB: '150', MEMORY_SAMPLE_INTERVAL_MS: '200', SESSION_RECYCLE_MIN_UPTIME_MS: '0' });
    const before = await readySession(test, 'leaky');
    const sampled = await eventually(() => {
      const session = test.app.sessions.view('leaky')!;
      return session.memory !== null && session;
    });
    // PSS splits shared pages among every process that maps them: with many Node processes on the machine
    // (a parallel test run) an idle worker's share falls to a few MB, so only "measured, not nothing" is asserted.
    expect(sampled.memory!.workerBytes).toBeGreaterThan(1024 * 1024);
    expect(sampled.memory!.totalBytes).toBeLessThan(150 * 1024 * 1024);
    expect(sampled.memory!.processes).toBe(1);

    const statuses = recordStatuses(test.app, 'leaky');
    const grown = await test.app.inject({ method: 'POST', url: '/sessions/leaky/simulate/allocate', ...json({ megabytes: 200 }) });
    expect(grown.json()).toEqual({ heldMegabytes: 200 });
    const after = await waitForSession(test.app, 'leaky', (session) => session.status === 'ready' && session.pid !== before.pid);
    expect(statuses).toEqual(['stopping', 'starting', 'authenticated', 'ready']);
    expect(after.me).toEqual(before.me);
    const logs = (await test.app.inject({ url: '/sessions/leaky/logs?limit=500' })).json() as Array<{ msg: string }>;
    expect(logs.some((record) => record.msg === 'session passed its memory limit: recycling its worker')).toBe(true);
    const metrics = (await test.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/wsm_worker_restarts_total\{reason="memory"\} 1/);
  });
});

describe('worker priority', () => {
  it('runs each worker, every thread of it and its autogroup, at WORKER_NICE, the supervisor as it was', async () => {
    const test = await apps.open({ WORKER_NICE: '3' });
    const session = await readySession(test, 'nice');
    const tasks = readdirSync(`/proc/${session.pid}/task`);
    // A nice value belongs to a thread on Linux: getpriority with a thread id reads that thread's.
    expect(tasks.map((tid) => getPriority(Number(tid)))).toEqual(tasks.map(() => 3));
    if (existsSync('/proc/self/autogroup')) {
      await eventually(() => / nice 3$/m.test(readFileSync(`/proc/${session.pid}/autogroup`, 'utf8')));
      expect(readFileSync('/proc/self/autogroup', 'utf8')).not.toMatch(/ nice 3$/m);
    }
    expect(getPriority()).toBe(0);
  });
});

describe('admission control', () => {
  it('refuses starts past MAX_SESSIONS with a 429 and leaves running sessions alone', async () => {
    const test = await apps.open({ MAX_SESSIONS: '2' });
    await readySession(test, 'one');
    await readySession(test, 'two');
    const third = await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'three' }) });
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ code: 'WSM_TOO_MANY_SESSIONS', message: expect.stringContaining('MAX_SESSIONS') });
    expect(test.app.sessions.view('three')).toBeUndefined();
    const created = await test.app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'three', start: false }) });
    expect(created.statusCode).toBe(201);
    expect((await test.app.inject({ method: 'POST', url: '/sessions/three/start' })).statusCode).toBe(429);
    // Already running ones still answer 200, and the running sessions did not move.
    expect((await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'one' }) })).statusCode).toBe(200);
    expect(test.app.sessions.list().filter((session) => session.status === 'ready').map((session) => session.sessionId).sort()).toEqual(['one', 'two']);
    // Room again after a stop.
    await test.app.inject({ method: 'POST', url: '/sessions/two/stop' });
    expect((await test.app.inject({ method: 'POST', url: '/sessions/three/start' })).statusCode).toBe(202);
  });

  it('refuses a start that would leave less free memory than MIN_FREE_MEMORY_MB, with a 503', async () => {
    const availableMb = Math.floor(availableMemoryBytes()! / 1048576);
    const test = await apps.open({ MIN_FREE_MEMORY_MB: String(availableMb + 1024) });
    const refused = await test.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'greedy' }) });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'WSM_INSUFFICIENT_MEMORY', message: expect.stringContaining('MIN_FREE_MEMORY_MB') });
    expect(test.app.sessions.size).toBe(0);
  });
});

describe('rate limits', () => {
  it('answer 429 WSM_RATE_LIMITED past RATE_LIMIT a minute, never for /health', async () => {
    const test = await apps.open({ RATE_LIMIT: '5' });
    const codes = [];
    for (let index = 0; index < 7; index++) codes.push((await test.app.inject({ url: '/sessions' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await test.app.inject({ url: '/sessions' });
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'WSM_RATE_LIMITED' });
    for (let index = 0; index < 10; index++) expect((await test.app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});

describe('GET /metrics', () => {
  it('exposes sessions by status, worker exits and restarts, IPC latency, webhooks, outbox and HTTP latency', async () => {
    const test = await apps.open();
    const ready = await readySession(test, 'measured');
    await test.app.inject({ method: 'POST', url: '/sessions', ...json({ sessionId: 'idle', start: false }) });
    process.kill(ready.pid, 'SIGKILL');
    await waitForSession(test.app, 'measured', (session) => session.status === 'ready' && session.pid !== ready.pid);
    const reply = await test.app.inject({ url: '/metrics' });
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['content-type']).toContain('text/plain');
    const text = reply.body;
    expect(text).toMatch(/^wsm_sessions\{status="ready"\} 1$/m);
    expect(text).toMatch(/^wsm_sessions\{status="stopped"\} 1$/m);
    expect(text).toMatch(/^wsm_sessions\{status="failed"\} 0$/m);
    expect(text).toMatch(/^wsm_worker_exits_total\{cause="crashed"\} 1$/m);
    expect(text).toMatch(/^wsm_worker_restarts_total\{reason="crash"\} 1$/m);
    expect(text).toMatch(/^wsm_ipc_command_duration_seconds_count\{command="simulate.scan",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^wsm_outbox_deliveries\{state="pending"\} 0$/m);
    expect(text).toMatch(/^wsm_outbox_events \d+$/m);
    expect(text).toMatch(/^wsm_http_request_duration_seconds_count\{method="POST",route="\/start-session",status_code="202"\} 1$/m);
    expect(text).toMatch(/^# TYPE wsm_webhook_deliveries_total counter$/m);
    expect(text).toMatch(/^wsm_supervisor_process_resident_memory_bytes \d+/m);
  });
});

describe('GET /openapi.json', () => {
  it('documents every route the app serves, with the coded error body', async () => {
    const test = await apps.open();
    const doc = (await test.app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    const documented = new Set<string>();
    for (const [path, methods] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(methods)) documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    const served = test.app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      .filter((line) => line.includes('('));
    expect(served.length).toBeGreaterThan(0);
    const contract = [
      'POST /start-session', 'POST /sessions', 'GET /sessions', 'GET /sessions/:sessionId', 'POST /sessions/:sessionId/start',
      'POST /sessions/:sessionId/stop', 'POST /sessions/:sessionId/restart', 'POST /sessions/:sessionId/logout',
      'DELETE /sessions/:sessionId', 'GET /sessions/:sessionId/qr', 'POST /sessions/:sessionId/pairing-code',
      'POST /sessions/:sessionId/messages', 'GET /sessions/:sessionId/logs', 'GET /events', 'GET /health', 'GET /metrics',
      'GET /openapi.json', 'POST /sessions/:sessionId/simulate/scan', 'POST /sessions/:sessionId/simulate/inbound',
      'POST /sessions/:sessionId/simulate/disconnect',
    ];
    for (const route of contract) expect(documented).toContain(route);
    expect(doc.paths['/sessions/{sessionId}'].get.responses['404'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ErrorReply',
    });
    expect(doc.components.schemas.ErrorReply.properties.code).toBeDefined();
    expect((await test.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });
});
