import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', defaultEngine: 'webjs', logLevel: 'info', apiKey: undefined });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.heartbeatTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(config.restart.baseDelayMs).toBeLessThanOrEqual(1000);
    expect(config.workerEntry).toMatch(/apps\/worker\/dist\/worker\.cjs$/);
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

describe('loadConfig: cluster mode', () => {
  it('is off without DATABASE_URL, and refuses cluster settings without it', () => {
    expect(loadConfig({}).cluster).toBeUndefined();
    expect(() => loadConfig({ NODE_ID: 'a' })).toThrow(/NODE_ID is set without DATABASE_URL/);
    expect(() => loadConfig({ LEASE_MS: '10000' })).toThrow(/LEASE_MS is set without DATABASE_URL/);
  });

  it('has the contract defaults: hostname-PORT, http://HOST:PORT, 30 s leases', () => {
    const { cluster } = loadConfig({ DATABASE_URL: 'postgres://wsm@db/wsm', PORT: '3001', HOST: '10.0.0.5' });
    expect(cluster).toEqual({
      databaseUrl: 'postgres://wsm@db/wsm',
      nodeId: expect.stringMatching(/^[A-Za-z0-9._-]+-3001$/),
      nodeUrl: 'http://10.0.0.5:3001',
      leaseMs: 30_000,
    });
  });

  it('refuses what would not work: another scheme, a bad node id, an unreachable default URL, a short lease', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must be a PostgreSQL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x', NODE_ID: 'a/b' })).toThrow(/NODE_ID must be/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x', HOST: '0.0.0.0' })).toThrow(/set NODE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x', NODE_URL: 'http://10.0.0.5:3000/api' })).toThrow(/NODE_URL must be/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x', LEASE_MS: '4999' })).toThrow(/LEASE_MS must be an integer from 5000/);
    expect(loadConfig({ DATABASE_URL: 'postgresql://x', HOST: '0.0.0.0', NODE_URL: 'https://node-a.internal' }).cluster?.nodeUrl).toBe(
      'https://node-a.internal',
    );
  });
});
