/**
 * The supervisor's configuration, read once from the environment (all optional; see the README's table).
 * A bad value stops start-up with a message naming the variable, rather than running with a surprise.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ENGINE_NAMES, LOG_LEVELS, WEB_VERSION_PIN_PATTERN, WEBJS_DEFAULTS, WEBJS_LIMITS, parseStringList } from '@wsm/ipc-protocol/runtime';
import type { EngineName, LogLevel, WebVersionOptions } from '@wsm/ipc-protocol';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** API_KEY: when set, every route but the health check and the sign-in needs it (or a credential derived from it). */
  apiKey: string | undefined;
  /** METRICS_TOKEN: a bearer token good for GET /metrics only, so scrapers need not hold the API key. */
  metricsToken: string | undefined;
  /** CORS_ORIGINS: exact origins that browsers may call the API from (none by default). */
  corsOrigins: string[];
  /** SESSION_COOKIE_HOURS: lifetime of the browser session cookie that POST /auth/login sets. */
  sessionCookieMs: number;
  defaultEngine: EngineName;
  chromiumPath: string | undefined;
  /** Extra Chromium flags for every webjs session, after the engine's own. */
  chromiumArgs: string[];
  webjs: {
    launchTimeoutMs: number;
    loadTimeoutMs: number;
    readyTimeoutMs: number;
    qrMaxAttempts: number;
    /** WEB_VERSION, WEB_VERSION_URL; the saved index pages under `<DATA_DIR>/web-versions`. */
    webVersion: WebVersionOptions;
  };
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /** Log records kept per session for GET /sessions/:id/logs. */
  sessionLogRecords: number;
  /** SQLite's synchronous mode: NORMAL survives a process kill, FULL also a power cut (an fsync per commit). */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  heartbeatTimeoutMs: number;
  heartbeatIntervalMs: number;
  restart: {
    baseDelayMs: number;
    maxDelayMs: number;
    maxConsecutiveCrashes: number;
    stableAfterMs: number;
    jitter: number;
  };
  /**
   * LAUNCH_CONCURRENCY: the most workers launching at once (forked, not yet past `starting`), for every start,
   * restart and restore alike; fewer while the CPU is saturated or memory short (session/launch-policy.ts).
   * RESTORE_CONCURRENCY, its former name when only restores were paced, is read when it is unset.
   */
  launchConcurrency: number;
  /** How long a worker gets to stop by itself before SIGTERM, then as long again before SIGKILL. */
  stopTimeoutMs: number;
  /**
   * WORKER_NICE: how much nicer than the supervisor the sessions run (apps/worker/src/thread-priority.ts says where
   * it is applied). 10 by default: the supervisor answers the API and hears heartbeats first when sessions launch in
   * bursts; the hang watchdog excuses whatever a worker waits for a CPU meanwhile (run-queue-wait.ts).
   */
  workerNice: number;
  commandTimeoutMs: number;
  /** STORE_TIMEOUT_MS: how long a request waits for its change to be durable before answering 503. */
  storeTimeoutMs: number;
  webhooks: {
    /** WEBHOOK_URL: targets of every event. */
    urls: string[];
    secret: string | undefined;
    timeoutMs: number;
    concurrency: number;
    baseDelayMs: number;
    maxDelayMs: number;
    maxAttempts: number;
    jitter: number;
  };
  resources: {
    sampleIntervalMs: number;
    /** SESSION_MAX_MEMORY_MB: a session (worker + browser tree, PSS) above this is recycled. */
    maxSessionBytes: number | undefined;
    /** SESSION_RECYCLE_HOURS: recycle every worker after this long (off by default). */
    recycleAfterMs: number | undefined;
    recycleMinUptimeMs: number;
  };
  admission: {
    /** MAX_SESSIONS: sessions meant to run at once. */
    maxSessions: number;
    /** MIN_FREE_MEMORY_MB: a start that would leave less available memory is refused. */
    minFreeBytes: number;
  };
  /**
   * BLOCK_PRIVATE_ADDRESSES: webhook targets that API clients register, and media URLs they send, may not resolve
   * to loopback, private, link-local or metadata addresses (the operator's own WEBHOOK_URL is trusted).
   */
  blockPrivateAddresses: boolean;
  media: {
    /** MEDIA_MAX_BYTES: the largest media a send takes (upload, base64 or URL); larger ones get 413. */
    maxBytes: number;
    /** MEDIA_FETCH_TIMEOUT_MS: fetching a `media.url`, redirects and body included, takes at most this long. */
    fetchTimeoutMs: number;
    /** `<DATA_DIR>/media-spool`: where media is written on its way out. */
    spoolDir: string;
    /** `<DATA_DIR>/media`: media of sent and received messages, one directory per session (media/media-store.ts). */
    storeDir: string;
    /** MEDIA_RETENTION_HOURS: stored media older than this is deleted. */
    retentionMs: number;
    /** MEDIA_STORE_MAX_MB: past this, the oldest stored media is deleted first. */
    storeMaxBytes: number;
    /** MEDIA_COMMAND_TIMEOUT_MS: how long a worker may take to send or download one file. */
    commandTimeoutMs: number;
  };
  /** RATE_LIMIT: API requests per minute per client; 0 disables. */
  rateLimitPerMinute: number;
  /** Events (and their finished or failed deliveries) older than this are pruned from the outbox. */
  outboxRetentionMs: number;
  /** The worker's entry: compiled JavaScript, or a .ts file run through tsx in development. */
  workerEntry: string;
  /** Cluster mode (DATABASE_URL set): this node of several sharing one PostgreSQL; undefined on one node (SQLite). */
  cluster: ClusterConfig | undefined;
}

export interface ClusterConfig {
  /** DATABASE_URL: postgres://… shared by every node. */
  databaseUrl: string;
  /** NODE_ID: this node's unique name; `<hostname>-<PORT>` by default. */
  nodeId: string;
  /** NODE_URL: where the other nodes reach this one; `http://<HOST>:<PORT>` by default. */
  nodeUrl: string;
  /** LEASE_MS: a node that has not renewed its leases for this long is dead. */
  leaseMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;


/** WEB_VERSION (a version or `last-working`) and WEB_VERSION_URL (a URL with `{version}`). */
function webVersion(env: Env, dataDir: string): WebVersionOptions {
  const pin = optional(env.WEB_VERSION);
  if (pin !== undefined && !new RegExp(WEB_VERSION_PIN_PATTERN).test(pin)) {
    throw new ConfigError(`WEB_VERSION must be a WhatsApp Web version such as 2.3000.1017054665, or last-working; got ${JSON.stringify(pin)}`);
  }
  const remoteUrl = optional(env.WEB_VERSION_URL);
  if (remoteUrl !== undefined && (!/^https?:\/\//.test(remoteUrl) || !remoteUrl.includes('{version}'))) {
    throw new ConfigError(`WEB_VERSION_URL must be an http(s) URL with {version} in it; got ${JSON.stringify(remoteUrl)}`);
  }
  return {
    store: join(dataDir, 'web-versions'),
    ...(pin === undefined ? {} : { pin }),
    ...(remoteUrl === undefined ? {} : { remoteUrl }),
  };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false; got ${JSON.stringify(env[name])}`);
}

/** A JSON array of strings (for flags with spaces in them), or flags separated by white space. */
function stringList(env: Env, name: string): string[] {
  try {
    return parseStringList(env[name], name);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Items of a comma-separated setting, trimmed, empty ones dropped. */
const commaList = (env: Env, name: string): string[] =>
  (env[name] ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');

/** `text` as an http(s) URL with a host, or undefined. */
function httpUrl(text: string): URL | undefined {
  try {
    const parsed = new URL(text);
    return /^https?:$/.test(parsed.protocol) && parsed.hostname !== '' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function webhookUrls(env: Env): string[] {
  const urls = commaList(env, 'WEBHOOK_URL');
  for (const url of urls) {
    if (httpUrl(url) === undefined) {
      throw new ConfigError(`WEBHOOK_URL has an entry that is not an http(s) URL with a host: ${url}`);
    }
  }
  return urls;
}

/** An optional size in MB (unset or 0: no limit), as bytes. */
function megabytes(env: Env, name: string): number | undefined {
  const value = integer(env, name, 0, 0, 1_048_576);
  return value === 0 ? undefined : value * 1024 * 1024;
}

function optionalHours(env: Env, name: string): number | undefined {
  const value = integer(env, name, 0, 0, 24 * 365);
  return value === 0 ? undefined : value * 3_600_000;
}

/**
 * A credential: unset is fine, but set and empty is refused (it used to switch authentication off silently), and so
 * is white space around it, which an HTTP header cannot carry (the key could never match).
 */
function credential(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw new ConfigError(`${name} is set but empty; unset it, or give it a value`);
  if (raw.trim() !== raw) throw new ConfigError(`${name} has white space around it, which no HTTP header can carry`);
  return raw;
}

/** Exact `scheme://host[:port]` origins: what a browser sends in `Origin`, so a path or `*` would never match. */
function corsOrigins(env: Env): string[] {
  const origins = commaList(env, 'CORS_ORIGINS');
  for (const origin of origins) {
    const parsed = httpUrl(origin);
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ConfigError(`CORS_ORIGINS has an entry that is not an exact origin like https://app.example.com: ${origin}`);
    }
  }
  return origins;
}

const optional = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

/**
 * The worker shipped in the workspace, bundled into one file by `pnpm build` (apps/worker/scripts/bundle.mjs):
 * it starts in about half the time of the module graph in dist/main.js. Resolved through the package so a
 * deployment can move it.
 */
function defaultWorkerEntry(): string {
  const require = createRequire(import.meta.url);
  const entry = resolve(require.resolve('@wsm/worker/package.json'), '..', 'dist', 'worker.cjs');
  // Said now rather than as a crash loop of every session: `tsc -b` alone compiles the worker but does not bundle it.
  if (!existsSync(entry)) throw new ConfigError(`the bundled worker ${entry} is missing: run \`pnpm build\`, or set WORKER_ENTRY`);
  return entry;
}

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** Cluster mode's settings, or undefined without DATABASE_URL (then none of them may be set). */
function clusterConfig(env: Env, host: string, port: number): ClusterConfig | undefined {
  const databaseUrl = optional(env.DATABASE_URL);
  if (databaseUrl === undefined) {
    for (const name of ['NODE_ID', 'NODE_URL', 'LEASE_MS']) {
      if (optional(env[name]) !== undefined) throw new ConfigError(`${name} is set without DATABASE_URL; cluster mode needs both`);
    }
    return undefined;
  }
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a PostgreSQL connection string (postgres://user:password@host:5432/database)');
  }
  const nodeId = optional(env.NODE_ID) ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 58)}-${port}`;
  if (!NODE_ID.test(nodeId)) throw new ConfigError(`NODE_ID must be 1 to 64 letters, digits, '.', '_' or '-'; got ${JSON.stringify(nodeId)}`);
  const explicitUrl = optional(env.NODE_URL);
  if (port === 0) throw new ConfigError('PORT is 0 (any free port), which other nodes cannot know: give each node a fixed PORT');
  if (explicitUrl === undefined && WILDCARD_HOSTS.has(host)) {
    throw new ConfigError(`HOST is ${host}, which other nodes cannot connect to: set NODE_URL to this node's reachable address`);
  }
  const nodeUrl = explicitUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const parsed = httpUrl(nodeUrl);
  if (parsed === undefined || parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '') {
    throw new ConfigError(`NODE_URL must be an http(s) origin like http://10.0.0.5:3000; got ${JSON.stringify(nodeUrl)}`);
  }
  return { databaseUrl, nodeId, nodeUrl: parsed.origin, leaseMs: integer(env, 'LEASE_MS', 30_000, 5_000, 3_600_000) };
}

export function loadConfig(env: Env = process.env): Config {
  const apiKey = credential(env, 'API_KEY');
  const metricsToken = credential(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && apiKey === undefined) {
    throw new ConfigError('METRICS_TOKEN is set without API_KEY, so every route, /metrics included, would be open; set API_KEY too');
  }
  const heartbeatTimeoutMs = integer(env, 'HEARTBEAT_TIMEOUT_MS', 10_000, 100, 30_000);
  const baseDelayMs = integer(env, 'RESTART_BACKOFF_MS', 500, 0, 1000);
  const port = integer(env, 'PORT', 3000, 0, 65_535);
  const host = optional(env.HOST) ?? '127.0.0.1';
  const dataDir = resolve(optional(env.DATA_DIR) ?? './data');
  return {
    port,
    host,
    dataDir,
    apiKey,
    metricsToken,
    corsOrigins: corsOrigins(env),
    sessionCookieMs: integer(env, 'SESSION_COOKIE_HOURS', 12, 1, 24 * 30) * 3_600_000,
    defaultEngine: oneOf(env, 'DEFAULT_ENGINE', ENGINE_NAMES, 'webjs'),
    chromiumPath: optional(env.CHROMIUM_PATH),
    chromiumArgs: stringList(env, 'CHROMIUM_ARGS'),
    webjs: {
      launchTimeoutMs: integer(env, 'WEBJS_LAUNCH_TIMEOUT_MS', WEBJS_DEFAULTS.launchTimeoutMs, WEBJS_LIMITS.timeoutMs.min, WEBJS_LIMITS.timeoutMs.max),
      loadTimeoutMs: integer(env, 'WEBJS_LOAD_TIMEOUT_MS', WEBJS_DEFAULTS.loadTimeoutMs, WEBJS_LIMITS.timeoutMs.min, WEBJS_LIMITS.timeoutMs.max),
      readyTimeoutMs: integer(env, 'WEBJS_READY_TIMEOUT_MS', WEBJS_DEFAULTS.readyTimeoutMs, WEBJS_LIMITS.timeoutMs.min, WEBJS_LIMITS.timeoutMs.max),
      qrMaxAttempts: integer(env, 'QR_MAX_ATTEMPTS', WEBJS_DEFAULTS.qrMaxAttempts, WEBJS_LIMITS.qrMaxAttempts.min, WEBJS_LIMITS.qrMaxAttempts.max),
      webVersion: webVersion(env, dataDir),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    sessionLogRecords: integer(env, 'SESSION_LOG_RECORDS', 500, 10, 100_000),
    sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', ['NORMAL', 'FULL'] as const, 'NORMAL'),
    heartbeatTimeoutMs,
    // Several beats per timeout, so one late beat on a busy machine is not a missed one.
    heartbeatIntervalMs: Math.max(25, Math.min(2000, Math.floor(heartbeatTimeoutMs / 4))),
    restart: {
      baseDelayMs,
      maxDelayMs: integer(env, 'RESTART_BACKOFF_MAX_MS', 30_000, baseDelayMs, 3_600_000),
      maxConsecutiveCrashes: integer(env, 'RESTART_MAX_CRASHES', 5, 0, 1000),
      stableAfterMs: integer(env, 'RESTART_STABLE_MS', 60_000, 0, 86_400_000),
      jitter: 0.2,
    },
    launchConcurrency: integer(env, 'LAUNCH_CONCURRENCY', integer(env, 'RESTORE_CONCURRENCY', 4, 1, 256), 1, 256),
    stopTimeoutMs: integer(env, 'STOP_TIMEOUT_MS', 5000, 100, 120_000),
    workerNice: integer(env, 'WORKER_NICE', 10, 0, 19),
    commandTimeoutMs: integer(env, 'COMMAND_TIMEOUT_MS', 30_000, 100, 600_000),
    storeTimeoutMs: integer(env, 'STORE_TIMEOUT_MS', 10_000, 100, 600_000),
    webhooks: {
      urls: webhookUrls(env),
      secret: optional(env.WEBHOOK_SECRET),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      concurrency: integer(env, 'WEBHOOK_CONCURRENCY', 8, 1, 256),
      baseDelayMs: integer(env, 'WEBHOOK_BACKOFF_MS', 1000, 0, 60_000),
      maxDelayMs: integer(env, 'WEBHOOK_BACKOFF_MAX_MS', 300_000, 0, 3_600_000),
      // 1 s doubling to 5 min, 25 attempts: retried for at least an hour (83 min without jitter, 67 with the most).
      maxAttempts: integer(env, 'WEBHOOK_MAX_ATTEMPTS', 25, 1, 1000),
      jitter: 0.2,
    },
    resources: {
      sampleIntervalMs: integer(env, 'MEMORY_SAMPLE_INTERVAL_MS', 10_000, 100, 3_600_000),
      maxSessionBytes: megabytes(env, 'SESSION_MAX_MEMORY_MB'),
      recycleAfterMs: optionalHours(env, 'SESSION_RECYCLE_HOURS'),
      recycleMinUptimeMs: integer(env, 'SESSION_RECYCLE_MIN_UPTIME_MS', 60_000, 0, 86_400_000),
    },
    admission: {
      maxSessions: integer(env, 'MAX_SESSIONS', 100, 0, 100_000),
      minFreeBytes: integer(env, 'MIN_FREE_MEMORY_MB', 256, 0, 1_048_576) * 1024 * 1024,
    },
    blockPrivateAddresses: flag(env, 'BLOCK_PRIVATE_ADDRESSES', false),
    media: {
      // At most 256 MiB: its base64 in a JSON body has to fit in one JavaScript string (V8 caps them near 512 MiB).
      maxBytes: integer(env, 'MEDIA_MAX_BYTES', 64 * 1024 * 1024, 1, 256 * 1024 * 1024),
      fetchTimeoutMs: integer(env, 'MEDIA_FETCH_TIMEOUT_MS', 30_000, 100, 600_000),
      // Beside the store, not in it (a session may be called "spool"), and on the same file system: a sent file
      // moves into the store by a rename.
      spoolDir: join(dataDir, 'media-spool'),
      storeDir: join(dataDir, 'media'),
      retentionMs: integer(env, 'MEDIA_RETENTION_HOURS', 72, 1, 24 * 365) * 3_600_000,
      storeMaxBytes: integer(env, 'MEDIA_STORE_MAX_MB', 10_240, 1, 100 * 1_048_576) * 1_048_576,
      commandTimeoutMs: integer(env, 'MEDIA_COMMAND_TIMEOUT_MS', 180_000, 1000, 3_600_000),
    },
    rateLimitPerMinute: integer(env, 'RATE_LIMIT', 6000, 0, 10_000_000),
    outboxRetentionMs: integer(env, 'OUTBOX_RETENTION_HOURS', 72, 1, 24 * 365) * 3_600_000,
    workerEntry: resolve(optional(env.WORKER_ENTRY) ?? defaultWorkerEntry()),
    cluster: clusterConfig(env, host, port),
  };
}
