import { describe, expect, it } from 'vitest';
import { toSession } from '../src/schemas/session-view.js';
import { newRecord } from '../src/session/session-record.js';
import type { SessionRuntime } from '../src/session/session-runtime.js';
import { ViewTexts } from '../src/session/view-texts.js';

const record = { ...newRecord({ sessionId: 'shop-1', engine: 'simulated', proxy: 'http://user:pw@proxy.example:8080' }, 'running', '2026-01-01T00:00:00.000Z') };
const running: SessionRuntime = { pid: 41, browserPid: null, memory: null };
const sample = { workerBytes: 1, browserBytes: 2, totalBytes: 3, processes: 1, sampledAt: '2026-01-01T00:00:01.000Z' };

describe('ViewTexts', () => {
  it('serializes the view once per record and process state, masked as toSession masks it', () => {
    const texts = new ViewTexts();
    let calls = 0;
    const serialize = (session: unknown): string => {
      calls++;
      return JSON.stringify(session);
    };
    const first = texts.text(record, running, null, serialize);
    expect(JSON.parse(first)).toEqual(JSON.parse(JSON.stringify(toSession(record, running))));
    expect(first).not.toContain('pw@');
    expect(texts.text(record, { ...running }, null, serialize)).toBe(first);
    expect(calls).toBe(1);
  });

  it('makes a new text when the record is replaced or a live field changes', () => {
    const texts = new ViewTexts();
    const serialize = (session: unknown): string => JSON.stringify(session);
    const first = texts.text(record, running, null, serialize);
    const changed = { ...record, status: 'ready' as const, version: record.version + 1 };
    expect(JSON.parse(texts.text(changed, running, null, serialize)).status).toBe('ready');
    expect(JSON.parse(texts.text(record, { ...running, memory: sample }, null, serialize)).memory).toEqual(sample);
    expect(JSON.parse(texts.text(record, { ...running, pid: 42 }, null, serialize)).pid).toBe(42);
    expect(JSON.parse(texts.text(record, undefined, null, serialize)).pid).toBeNull();
    expect(JSON.parse(texts.text(record, running, 'node-b', serialize)).node).toBe('node-b');
    expect(texts.text(record, running, null, serialize)).toBe(first);
  });
});
