import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', defaultEngine: 'webjs', logLevel: 'info', apiKey: undefined });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.heartbeatTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(config.restart.baseDelayMs).toBeLessThanOrEqual(1000);
    expect(config.workerEntry).toMatch(/apps\/worker\/dist\/main\.js$/);
  });

  it('derives a heartbeat interval that fits several beats in the timeout', () => {
    expect(loadConfig({ HEARTBEAT_TIMEOUT_MS: '800' }).heartbeatIntervalMs).toBe(200);
    expect(loadConfig({ HEARTBEAT_TIMEOUT_MS: '30000' }).heartbeatIntervalMs).toBe(2000);
  });

  it('names the variable of a bad value', () => {
    expect(() => loadConfig({ HEARTBEAT_TIMEOUT_MS: '60000' })).toThrow(ConfigError);
    expect(() => loadConfig({ HEARTBEAT_TIMEOUT_MS: '60000' })).toThrow(/HEARTBEAT_TIMEOUT_MS/);
    expect(() => loadConfig({ RESTART_BACKOFF_MS: '5000' })).toThrow(/RESTART_BACKOFF_MS/);
    expect(() => loadConfig({ PORT: 'http' })).toThrow(/PORT/);
    expect(() => loadConfig({ DEFAULT_ENGINE: 'baileys' })).toThrow(/DEFAULT_ENGINE must be one of webjs, simulated/);
  });

  it('accepts 0 for RESTART_BACKOFF_MS (benchmarks restart at once)', () => {
    expect(loadConfig({ RESTART_BACKOFF_MS: '0' }).restart.baseDelayMs).toBe(0);
  });
});
