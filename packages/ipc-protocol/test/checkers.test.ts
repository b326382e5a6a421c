import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { CHECKS_FILE, generateChecks } from '../scripts/generate-checks.js';
import {
  COMMAND_NAMES,
  MAX_BATCH,
  PROTOCOL_VERSION,
  decodeCommandResult,
  decodeSupervisorMessage,
  decodeWorkerMessage,
  isValidSessionId,
  sessionDirectory,
  SupervisorMessage,
  WorkerMessage,
} from '../src/index.js';

const memory = { rss: 1, heapTotal: 2, heapUsed: 3, external: 4, arrayBuffers: 5 };

describe('decodeWorkerMessage', () => {
  it('accepts every well-formed message', () => {
    const messages = [
      { type: 'worker.hello', protocolVersion: PROTOCOL_VERSION, pid: 42, nodeVersion: 'v20.20.0' },
      { type: 'worker.status', status: 'ready', me: { id: '1555@c.us', pushname: null } },
      { type: 'worker.status', status: 'disconnected', reason: 'network' },
      { type: 'worker.qr', qr: '2@abc', attempt: 1 },
      { type: 'worker.event', event: { type: 'message.ack', data: { id: 'x', ack: 3 } } },
      {
        type: 'worker.event',
        event: {
          type: 'message.received',
          data: { id: 'm', from: 'a@c.us', to: 'b@c.us', body: 'hi', type: 'chat', timestamp: 1, hasMedia: false, media: null, replyTo: null },
        },
      },
      {
        type: 'worker.event',
        event: {
          type: 'message.received',
          data: {
            ...{ id: 'm2', from: 'a@c.us', to: 'b@c.us', body: 'look', type: 'image', timestamp: 1, hasMedia: true },
            media: { mimetype: 'image/jpeg', filename: null, size: 1234 },
            replyTo: 'm',
          },
        },
      },
      { type: 'worker.event', event: { type: 'message.reaction', data: { id: 'm', emoji: '', from: 'a@c.us' } } },
      { type: 'worker.event', event: { type: 'message.revoked', data: { id: 'm' } } },
      { type: 'worker.browser', browser: { pid: 10, pgid: 10 } },
      { type: 'worker.browser', browser: null },
      { type: 'worker.heartbeat', seq: 3, uptimeMs: 1200, memory },
      { type: 'worker.log', level: 'info', time: Date.now(), msg: 'hello', data: { any: ['thing'] } },
      { type: 'worker.reply', id: '1', ok: true, result: { code: 'ABCD1234' } },
      { type: 'worker.reply', id: '1', ok: false, error: { code: 'WSM_SESSION_NOT_READY', message: 'no' } },
      { type: 'worker.fatal', error: { code: 'WSM_LOGGED_OUT', message: 'phone said bye' }, retry: false },
    ];
    for (const message of messages) expect(decodeWorkerMessage(message)).toEqual({ ok: true, value: message });
    // The generated checks agree with the schemas they were generated from.
    for (const message of messages) expect(Value.Check(WorkerMessage, message)).toBe(true);
    // Any of them, in a batch.
    const batch = { type: 'worker.batch', messages };
    expect(decodeWorkerMessage(batch)).toEqual({ ok: true, value: batch });
    expect(Value.Check(WorkerMessage, batch)).toBe(true);
  });

  it('refuses a batch that is empty, too long, nested or holds a malformed message', () => {
    const beat = { type: 'worker.heartbeat', seq: 3, uptimeMs: 1200, memory };
    for (const messages of [[], Array.from({ length: MAX_BATCH + 1 }, () => beat), [{ type: 'worker.batch', messages: [beat] }], [beat, { type: 'worker.qr', qr: '' }]]) {
      expect(decodeWorkerMessage({ type: 'worker.batch', messages })).toMatchObject({ ok: false, error: 'malformed "worker.batch"' });
    }
    expect(decodeWorkerMessage({ type: 'worker.batch', messages: Array.from({ length: MAX_BATCH }, () => beat) }).ok).toBe(true);
  });

  it('takes supervisor messages in a batch, and refuses one that is empty, too long or nested', () => {
    const lease = { type: 'supervisor.lease', untilMonotonicMs: 1000 };
    const command = { type: 'command.simulate.inbound', id: '7', params: { from: '15550002222@c.us', text: 'hi' } };
    const batch = { type: 'supervisor.batch', messages: [lease, command] };
    expect(decodeSupervisorMessage(batch)).toEqual({ ok: true, value: batch });
    expect(Value.Check(SupervisorMessage, batch)).toBe(true);
    for (const messages of [[], Array.from({ length: MAX_BATCH + 1 }, () => lease), [batch], [lease, { ...command, params: {} }]]) {
      expect(decodeSupervisorMessage({ type: 'supervisor.batch', messages })).toMatchObject({ ok: false, error: 'malformed "supervisor.batch"' });
    }
  });

  it('rejects malformed messages with an error naming the message, and details naming the field', async () => {
    expect(decodeWorkerMessage('hello')).toMatchObject({ ok: false, error: 'message is not an object' });
    expect(decodeWorkerMessage(null)).toMatchObject({ ok: false, error: 'message is not an object' });
    expect(decodeWorkerMessage({ status: 'ready' })).toMatchObject({ ok: false, error: 'message has no string "type"' });
    expect(decodeWorkerMessage({ type: 'worker.explode' })).toMatchObject({ ok: false, error: 'unknown message type "worker.explode"' });
    expect(decodeWorkerMessage({ type: 'toString' })).toMatchObject({ ok: false, error: 'unknown message type "toString"' });
    const badStatus = decodeWorkerMessage({ type: 'worker.status', status: 'happy' });
    expect(badStatus).toMatchObject({ ok: false, error: 'malformed "worker.status"' });
    expect(!badStatus.ok && (await badStatus.details())).toMatch(/^malformed "worker.status": \/status/);
    const extra = decodeWorkerMessage({ type: 'worker.qr', qr: 'x', attempt: 1, evil: true });
    expect(!extra.ok && (await extra.details())).toMatch(/malformed "worker.qr"/);
    const badMemory = decodeWorkerMessage({ type: 'worker.heartbeat', seq: 1, uptimeMs: 1, memory: { rss: -1 } });
    expect(!badMemory.ok && (await badMemory.details())).toMatch(/\/memory/);
    // A supervisor message is not a worker message.
    expect(decodeWorkerMessage({ type: 'supervisor.shutdown', reason: 'x', timeoutMs: 1 }).ok).toBe(false);
  });
});

describe('decodeSupervisorMessage', () => {
  it('accepts start, shutdown and every command', () => {
    const start = {
      type: 'supervisor.start',
      protocolVersion: PROTOCOL_VERSION,
      sessionId: 'shop-1',
      sessionDir: '/data/sessions/shop-1',
      settings: { engine: 'simulated', options: { ackDelayMs: 5 } },
      heartbeatIntervalMs: 1000,
      logLevel: 'info',
    };
    expect(decodeSupervisorMessage(start).ok).toBe(true);
    expect(decodeSupervisorMessage({ type: 'supervisor.shutdown', reason: 'bye', timeoutMs: 5000 }).ok).toBe(true);
    const params: Record<string, unknown> = {
      requestPairingCode: { phoneNumber: '+4915550001111' },
      sendText: { to: '1555@c.us', text: 'hi', replyTo: 'false_1555@c.us_3EB0' },
      sendMedia: {
        to: '1555@c.us',
        media: { path: '/data/media-spool/1', mimetype: 'image/png', filename: null, size: 10 },
        caption: 'look',
        asDocument: false,
        asVoice: false,
        asSticker: false,
      },
      downloadMedia: { messageId: 'm', path: '/data/media/s/.tmp-1' },
      react: { messageId: 'm', emoji: '👍' },
      markRead: { chatId: '1555@c.us' },
      checkNumber: { phone: '+15550002222' },
      'simulate.inbound': { from: '1555@c.us', text: 'hi' },
      'simulate.reaction': { messageId: 'm', emoji: '', from: '1555@c.us' },
      'simulate.revoke': { messageId: 'm' },
      'simulate.allocate': { megabytes: 10 },
    };
    for (const name of COMMAND_NAMES) {
      const message = { type: `command.${name}`, id: '7', params: params[name] ?? {} };
      expect([name, decodeSupervisorMessage(message).ok]).toEqual([name, true]);
    }
  });

  it('rejects bad commands and a start with a bad session id', async () => {
    expect(decodeSupervisorMessage({ type: 'command.sendText', id: '1', params: { to: '1555@c.us', text: '' } }).ok).toBe(false);
    expect(decodeSupervisorMessage({ type: 'command.sendText', params: { to: '1555@c.us', text: 'x' } }).ok).toBe(false);
    expect(decodeSupervisorMessage({ type: 'command.requestPairingCode', id: '1', params: { phoneNumber: 'call me' } }).ok).toBe(false);
    expect(decodeSupervisorMessage({ type: 'command.selfDestruct', id: '1', params: {} }).ok).toBe(false);
    const start = decodeSupervisorMessage({
      type: 'supervisor.start',
      protocolVersion: 1,
      sessionId: '../../etc',
      sessionDir: '/x',
      settings: { engine: 'simulated', options: {} },
      heartbeatIntervalMs: 1000,
      logLevel: 'info',
    });
    expect(!start.ok && (await start.details())).toMatch(/\/sessionId/);
  });
});

describe('decodeCommandResult', () => {
  it('checks a reply against the command result schema', async () => {
    expect(decodeCommandResult('requestPairingCode', { code: 'ABCD1234' }).ok).toBe(true);
    expect(decodeCommandResult('requestPairingCode', { pairing: 'ABCD1234' }).ok).toBe(false);
    expect(decodeCommandResult('sendText', { id: 'true_x', to: 'x@c.us', timestamp: 1, type: 'chat' }).ok).toBe(true);
    const empty = decodeCommandResult('sendText', { id: '', to: 'x@c.us', timestamp: 1, type: 'chat' });
    expect(!empty.ok && (await empty.details())).toMatch(/^malformed result of "sendText": \/id/);
  });
});

describe('session ids and directories', () => {
  it('follows the contract pattern', () => {
    for (const id of ['a', 'shop-42', 'A_b-C', 'x'.repeat(64)]) expect(isValidSessionId(id)).toBe(true);
    for (const id of ['', '-a', '_a', 'a.b', 'a/b', '..', 'x'.repeat(65), 'ü', 'a b']) expect(isValidSessionId(id)).toBe(false);
  });

  it('builds a directory only from a valid id', () => {
    expect(sessionDirectory('/data', 'shop-1')).toBe('/data/sessions/shop-1');
    expect(() => sessionDirectory('/data', '../etc')).toThrow(/invalid session id/);
  });
});

describe('the generated checks', () => {
  it('are up to date with the schemas (run `pnpm --filter @wsm/ipc-protocol generate` after a change)', () => {
    expect(readFileSync(CHECKS_FILE, 'utf8')).toBe(generateChecks());
  });

  it('keep TypeBox out of what a worker loads at start-up', () => {
    // Follow the static imports of the compiled runtime entry (the dynamic import of checkers.js for error
    // details is lazy by design) and collect the packages they reach.
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
        if (specifier!.startsWith('.')) visit(fileURLToPath(new URL(specifier!, pathToFileURL(file))));
        else packages.add(specifier!);
      }
    };
    visit(fileURLToPath(new URL('../dist/runtime.js', import.meta.url)));
    expect(seen.size).toBeGreaterThan(4);
    expect([...packages].filter((name) => !name.startsWith('node:'))).toEqual([]);
  });
});
