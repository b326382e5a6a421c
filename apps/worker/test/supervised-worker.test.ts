/**
 * The compiled worker, forked as the supervisor forks it, driven over IPC by the test as the supervisor.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT_LEASE_EXPIRED, PROTOCOL_VERSION, type SupervisorMessage, type WorkerMessage } from '@wsm/ipc-protocol';

const WORKER = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Harness {
  child: ChildProcess;
  /** Every message, batches unpacked. */
  messages: WorkerMessage[];
  /** As they came over the channel. */
  raw: WorkerMessage[];
  next<T extends WorkerMessage['type']>(type: T, where?: (message: Extract<WorkerMessage, { type: T }>) => boolean): Promise<Extract<WorkerMessage, { type: T }>>;
  /** Any value: the tests also send malformed messages. */
  send(message: object): void;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

let dir: string;
const children: ChildProcess[] = [];

/** Forks the compiled worker; `sameDir` keeps the previous test directory (a restart of the same session). */
function startWorker(sameDir = false, env: NodeJS.ProcessEnv = process.env): Harness {
  if (!sameDir) dir = mkdtempSync(join(tmpdir(), 'wsm-worker-'));
  // Detached, as the supervisor forks it: a session (and so a scheduler autogroup) of its own.
  const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [], env, detached: true });
  children.push(child);
  const messages: WorkerMessage[] = [];
  const raw: WorkerMessage[] = [];
  const waiters: Array<() => void> = [];
  child.on('message', (received) => {
    // As the supervisor does: a batch is its messages, in order.
    const message = received as WorkerMessage;
    raw.push(message);
    if (message.type === 'worker.batch') messages.push(...message.messages);
    else messages.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    child,
    messages,
    raw,
    exit: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
    send: (message) => child.send(message),
    next(type, where = () => true) {
      return new Promise((resolve) => {
        const look = (): void => {
          const found = messages.find((message) => message.type === type && where(message as never));
          if (found) resolve(found as never);
          else waiters.push(look);
        };
        look();
      });
    },
  };
}

const startMessage = (sessionId = 'w1'): SupervisorMessage => ({
  type: 'supervisor.start',
  protocolVersion: PROTOCOL_VERSION,
  sessionId,
  sessionDir: join(dir, 'sessions', sessionId),
  settings: { engine: 'simulated', options: {} },
  heartbeatIntervalMs: 50,
  logLevel: 'debug',
});

/** A worker past its start, showing its first QR code (the simulated engine). */
async function startedWorker(sessionId?: string): Promise<Harness> {
  const worker = startWorker();
  await worker.next('worker.hello');
  worker.send(startMessage(sessionId));
  await worker.next('worker.qr');
  return worker;
}

/** CLOCK_MONOTONIC in milliseconds, the clock of `supervisor.lease`. */
const monotonicNow = (): number => Number(process.hrtime.bigint() / 1_000_000n);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a worker under a supervisor', () => {
  it('says hello with its protocol version, starts its engine and sends heartbeats with memory figures', async () => {
    const worker = startWorker();
    const hello = await worker.next('worker.hello');
    expect(hello).toMatchObject({ protocolVersion: PROTOCOL_VERSION, pid: worker.child.pid });
    worker.send(startMessage());
    expect(await worker.next('worker.qr')).toMatchObject({ attempt: 1, qr: expect.stringContaining(',simulated,w1') });
    const beat = await worker.next('worker.heartbeat', (message) => message.seq >= 2);
    expect(beat.memory.rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(beat.memory.heapUsed).toBeGreaterThan(0);
  });

  it('announces the load of whatsapp-web.js in a write of its own, after what it had queued, before it blocks', async () => {
    const worker = startWorker();
    await worker.next('worker.hello');
    worker.send({ ...startMessage('w-webjs'), settings: { engine: 'webjs', options: {} } });
    const blocking = await worker.next('worker.blocking');
    expect(blocking).toEqual({ type: 'worker.blocking', step: 'load-engine' });
    // Alone in its write, so it leaves before the event loop blocks, and after the first heartbeat and the log.
    expect(worker.raw).toContainEqual(blocking);
    const before = worker.messages.slice(0, worker.messages.indexOf(blocking)).map((message) => message.type);
    expect(before).toEqual(expect.arrayContaining(['worker.hello', 'worker.heartbeat', 'worker.log']));
    // Once loaded, it beats again.
    await worker.next('worker.heartbeat', (message) => message.seq >= 1);
  });

  it('answers commands by correlation id, with results and coded errors', async () => {
    const worker = startWorker();
    await worker.next('worker.hello');
    worker.send({ type: 'command.simulate.scan', id: 'early', params: {} });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'early')).toMatchObject({
      ok: false,
      error: { code: 'WSM_WORKER_NOT_STARTED' },
    });
    worker.send(startMessage());
    await worker.next('worker.qr');
    worker.send({ type: 'command.sendText', id: 'a', params: { to: '1555@c.us', text: 'hi' } });
    worker.send({ type: 'command.simulate.scan', id: 'b', params: {} });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'a')).toMatchObject({ ok: false, error: { code: 'WSM_SESSION_NOT_READY' } });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'b')).toMatchObject({ ok: true, result: { me: { pushname: 'w1' } } });
    const statuses = worker.messages.filter((m) => m.type === 'worker.status').map((m) => (m as { status: string }).status);
    expect(statuses).toEqual(['authenticated', 'ready']);
    worker.send({ type: 'command.sendText', id: 'c', params: { to: '1555@c.us', text: 'hi' } });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'c')).toMatchObject({ ok: true, result: { to: '1555@c.us' } });
  });

  it('sends what it says in one turn as one batch, each event before the reply that acknowledges it', async () => {
    const worker = await startedWorker('batch');
    worker.send({ type: 'command.simulate.scan', id: 'scan', params: {} });
    await worker.next('worker.reply', (reply) => reply.id === 'scan');
    const count = 40;
    for (let index = 0; index < count; index++) {
      worker.send({ type: 'command.simulate.inbound', id: `in-${index}`, params: { from: '15550002222@c.us', text: `m${index}` } });
    }
    const replies = await Promise.all(Array.from({ length: count }, (_, index) => worker.next('worker.reply', (reply) => reply.id === `in-${index}`)));
    for (const [index, reply] of replies.entries()) {
      expect(reply).toMatchObject({ ok: true, result: { body: `m${index}` } });
      const id = (reply as { result: { id: string } }).result.id;
      const eventAt = worker.messages.findIndex((message) => message.type === 'worker.event' && message.event.data.id === id);
      expect(eventAt).toBeGreaterThanOrEqual(0);
      expect(eventAt).toBeLessThan(worker.messages.indexOf(reply));
    }
    // Received in the order they were sent.
    const bodies = worker.messages.flatMap((message) => (message.type === 'worker.event' && message.event.type === 'message.received' ? [message.event.data.body] : []));
    expect(bodies).toEqual(Array.from({ length: count }, (_, index) => `m${index}`));
    // At least each event with its reply: fewer writes than messages.
    const batches = worker.raw.filter((message) => message.type === 'worker.batch');
    expect(batches.length).toBeGreaterThan(0);
    expect(worker.raw.length).toBeLessThan(worker.messages.length);
  });

  it('answers a send retried under the same idempotency key from its journal, also after a restart', async () => {
    const first = startWorker();
    await first.next('worker.hello');
    first.send(startMessage('journal'));
    await first.next('worker.qr');
    first.send({ type: 'command.simulate.scan', id: 's', params: {} });
    await first.next('worker.reply', (reply) => reply.id === 's');
    const send = { type: 'command.sendText', params: { to: '1555@c.us', text: 'once', idempotencyKey: 'k-1' } } as const;
    first.send({ ...send, id: 'a' });
    const original = await first.next('worker.reply', (reply) => reply.id === 'a');
    first.send({ ...send, id: 'b' });
    expect(await first.next('worker.reply', (reply) => reply.id === 'b')).toMatchObject({ ok: true, result: (original as { result: unknown }).result });
    first.child.kill('SIGKILL');
    await first.exit;

    // A new worker for the same session directory (the supervisor never stored the answer).
    const second = startWorker(true);
    await second.next('worker.hello');
    second.send(startMessage('journal'));
    await second.next('worker.status', (message) => message.status === 'ready');
    second.send({ ...send, id: 'c' });
    expect(await second.next('worker.reply', (reply) => reply.id === 'c')).toMatchObject({ ok: true, result: (original as { result: unknown }).result });
    // Acks of a message sent only once.
    const acks = [...first.messages, ...second.messages].filter((message) => message.type === 'worker.event');
    expect(new Set(acks.map((message) => (message as { event: { data: { id: string } } }).event.data.id)).size).toBeLessThanOrEqual(1);
  });

  it('logs and ignores malformed messages, answering a malformed command that has an id', async () => {
    const worker = await startedWorker();
    worker.send({ nonsense: true });
    worker.send({ type: 'command.sendText', id: 'bad', params: { to: 'x' } });
    const log = await worker.next('worker.log', (message) => message.msg === 'rejected a malformed IPC message');
    expect(log.level).toBe('error');
    expect(await worker.next('worker.reply', (reply) => reply.id === 'bad')).toMatchObject({
      ok: false,
      error: { code: 'WSM_IPC_MALFORMED_MESSAGE', message: expect.stringContaining('/params/text') },
    });
    // Still alive and answering.
    worker.send({ type: 'command.simulate.scan', id: 'ok', params: {} });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'ok')).toMatchObject({ ok: true });
  });

  it('runs the commands of a supervisor.batch in order, and takes a malformed batch apart', async () => {
    const worker = await startedWorker('in-batch');
    const inbound = (id: string, text: string) => ({ type: 'command.simulate.inbound', id, params: { from: '15550002222@c.us', text } });
    worker.send({ type: 'supervisor.batch', messages: [{ type: 'command.simulate.scan', id: 'scan', params: {} }] });
    await worker.next('worker.reply', (reply) => reply.id === 'scan');
    worker.send({ type: 'supervisor.batch', messages: [inbound('i1', 'one'), inbound('i2', 'two')] });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'i2')).toMatchObject({ ok: true, result: { body: 'two' } });
    const replies = worker.messages.flatMap((message) => (message.type === 'worker.reply' ? [message.id] : []));
    expect(replies).toEqual(['scan', 'i1', 'i2']);

    // One bad command in a batch: the others still run, the bad one is answered as malformed.
    worker.send({ type: 'supervisor.batch', messages: [inbound('i3', 'three'), { type: 'command.sendText', id: 'bad', params: { to: 'x' } }, inbound('i4', 'four')] });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'bad')).toMatchObject({
      ok: false,
      error: { code: 'WSM_IPC_MALFORMED_MESSAGE', message: expect.stringContaining('/params/text') },
    });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'i3')).toMatchObject({ ok: true, result: { body: 'three' } });
    expect(await worker.next('worker.reply', (reply) => reply.id === 'i4')).toMatchObject({ ok: true, result: { body: 'four' } });
    const bodies = worker.messages.flatMap((message) => (message.type === 'worker.event' && message.event.type === 'message.received' ? [message.event.data.body] : []));
    expect(bodies).toEqual(['one', 'two', 'three', 'four']);
  });

  it('runs every one of its threads, and its autogroup, at the niceness the supervisor asks for', async () => {
    const worker = startWorker(false, { ...process.env, WSM_WORKER_NICE: '7' });
    await worker.next('worker.hello');
    const pid = worker.child.pid!;
    const threads = readdirSync(`/proc/${pid}/task`);
    // Node's own threads (V8's platform workers among them) were started before the worker's code ran.
    expect(threads.length).toBeGreaterThan(1);
    // A nice value belongs to a thread on Linux: getpriority with a thread id reads that thread's.
    expect(threads.map((tid) => getPriority(Number(tid)))).toEqual(threads.map(() => 7));
    // Kernels built with autogroups (most distributions'): the session's group weighs as nice 7 too.
    if (existsSync('/proc/self/autogroup')) {
      await vi.waitFor(() => expect(readFileSync(`/proc/${pid}/autogroup`, 'utf8')).toMatch(/ nice 7$/m), { timeout: 5000 });
    }
  });

  it('refuses a supervisor of another protocol version with a fatal error', async () => {
    const worker = startWorker();
    await worker.next('worker.hello');
    worker.send({ ...startMessage(), protocolVersion: PROTOCOL_VERSION + 1 });
    expect(await worker.next('worker.fatal')).toMatchObject({ retry: false, error: { code: 'WSM_PROTOCOL_MISMATCH' } });
    expect((await worker.exit)[0]).toBe(1);
  });

  it('ends itself when its lease deadline passes unrenewed, and not before', async () => {
    const worker = await startedWorker();
    const started = monotonicNow();
    worker.send({ type: 'supervisor.lease', untilMonotonicMs: started + 400 });
    // A renewal moves the deadline: the worker is still there after the first one.
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.send({ type: 'supervisor.lease', untilMonotonicMs: monotonicNow() + 500 });
    const [code] = await worker.exit;
    expect(code).toBe(EXIT_LEASE_EXPIRED);
    expect(monotonicNow() - started).toBeGreaterThanOrEqual(650);
  });

  it('reads the renewals waiting for it before judging a deadline that passed while it could not run', async () => {
    const worker = await startedWorker();
    worker.send({ type: 'supervisor.lease', untilMonotonicMs: monotonicNow() + 300 });
    // Held past its deadline (as a long synchronous step on a starved machine holds it) while its supervisor
    // renews all along: on waking, its timer is due before the pipe is read.
    worker.child.kill('SIGSTOP');
    const renewing = setInterval(() => worker.send({ type: 'supervisor.lease', untilMonotonicMs: monotonicNow() + 300 }), 50);
    try {
      await new Promise((resolve) => setTimeout(resolve, 900));
      worker.child.kill('SIGCONT');
      worker.send({ type: 'command.simulate.scan', id: 'after', params: {} });
      const answer = await Promise.race([
        worker.next('worker.reply', (reply) => reply.id === 'after'),
        worker.exit.then(([exitCode]) => ({ exitCode })),
      ]);
      expect(answer).toMatchObject({ ok: true });
    } finally {
      clearInterval(renewing);
    }
    // Renewals stop: the last deadline still ends it.
    const [code] = await worker.exit;
    expect(code).toBe(EXIT_LEASE_EXPIRED);
  });

  it('stops cleanly on request', async () => {
    const worker = await startedWorker();
    worker.send({ type: 'supervisor.shutdown', reason: 'test', timeoutMs: 2000 });
    expect(await worker.exit).toEqual([0, null]);
  });

  it('exits when its IPC channel disconnects (the supervisor died)', async () => {
    const worker = await startedWorker();
    worker.child.disconnect();
    expect(await worker.exit).toEqual([0, null]);
  });
});
