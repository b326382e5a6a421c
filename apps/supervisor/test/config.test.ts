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

describe('loadConfig: credentials and browser access', () => {
  it('refuses an API_KEY or METRICS_TOKEN that is set but empty, or padded with white space', () => {
    expect(() => loadConfig({ API_KEY: '' })).toThrow(/API_KEY is set but empty/);
    expect(() => loadConfig({ API_KEY: ' \t' })).toThrow(/API_KEY is set but empty/);
    expect(() => loadConfig({ API_KEY: 'key ' })).toThrow(/API_KEY has white space around it/);
    expect(() => loadConfig({ API_KEY: 'k', METRICS_TOKEN: '' })).toThrow(/METRICS_TOKEN is set but empty/);
    expect(loadConfig({ API_KEY: 'a key with spaces' }).apiKey).toBe('a key with spaces');
  });

  it('refuses METRICS_TOKEN without API_KEY, which would guard nothing', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'scrape' })).toThrow(/METRICS_TOKEN is set without API_KEY/);
    expect(loadConfig({ API_KEY: 'k', METRICS_TOKEN: 'scrape' }).metricsToken).toBe('scrape');
  });

  it('takes CORS_ORIGINS as exact origins, none by default', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173,' }).corsOrigins).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['*', 'https://a.example.com/', 'https://a.example.com/app', 'a.example.com', 'ftp://a.example.com', 'HTTPS://A.example.com']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS has an entry that is not an exact origin/);
    }
  });

  it('keeps the browser session cookie 12 hours unless SESSION_COOKIE_HOURS says otherwise', () => {
    expect(loadConfig({}).sessionCookieMs).toBe(12 * 3_600_000);
    expect(loadConfig({ SESSION_COOKIE_HOURS: '1' }).sessionCookieMs).toBe(3_600_000);
    expect(() => loadConfig({ SESSION_COOKIE_HOURS: '0' })).toThrow(/SESSION_COOKIE_HOURS/);
  });
});
