/**
 * Plain values both sides need at run time, kept free of TypeBox: a worker that only imports these (and the
 * generated checks) starts without loading the schema library at all.
 */

/**
 * Bumped on any incompatible change; both sides refuse to talk across a mismatch. 3: `worker.batch`;
 * 4: `supervisor.batch`; 5: `worker.blocking`.
 */
export const PROTOCOL_VERSION = 5;

/** The most messages one `worker.batch` or `supervisor.batch` carries; a sender with more sends another. */
export const MAX_BATCH = 256;

/** The contract's session id rule. Anything that builds a path from a session id checks it first. */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
const sessionIdRegExp = new RegExp(SESSION_ID_PATTERN);
export const isValidSessionId = (value: unknown): value is string =>
  typeof value === 'string' && sessionIdRegExp.test(value);

/**
 * CLOCK_MONOTONIC in milliseconds: the clock of `supervisor.lease` deadlines. One clock for every process of
 * the machine (unlike `performance.now()`, which counts from each process's start), never stepped.
 */
export const monotonicNowMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

/**
 * The niceness a supervisor asks of a worker (WORKER_NICE), in the worker's environment: the worker applies it to
 * its threads and its autogroup at start, and the browser it launches inherits it.
 */
export const WORKER_NICE_ENV = 'WSM_WORKER_NICE';

/** Exit code of a worker that ended itself because its session's lease deadline passed (`supervisor.lease`). */
export const EXIT_LEASE_EXPIRED = 71;

export const ENGINE_NAMES = ['webjs', 'simulated'] as const;

/** pino's levels, by name and number: the supervisor's logger, the worker's and the protocol all use these. */
export const LOG_LEVEL_VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const satisfies ReadonlyArray<
  keyof typeof LOG_LEVEL_VALUES
>;

/** The webjs engine's stage deadlines and QR attempts: defaults, and the range an operator may set. */
/** A WhatsApp Web version as `Debug.VERSION` names it (`2.3000.1017054665`), and what WEB_VERSION may say. */
export const WEB_VERSION_PATTERN = '^\\d+(\\.\\d+)+(-beta)?$';
export const LAST_WORKING_VERSION = 'last-working';
export const WEB_VERSION_PIN_PATTERN = `^(${LAST_WORKING_VERSION}|${WEB_VERSION_PATTERN.slice(1, -1)})$`;

export const WEBJS_DEFAULTS = { launchTimeoutMs: 30_000, loadTimeoutMs: 60_000, readyTimeoutMs: 60_000, qrMaxAttempts: 6 } as const;
export const WEBJS_LIMITS = {
  timeoutMs: { min: 1000, max: 600_000 },
  qrMaxAttempts: { min: 1, max: 100 },
} as const;

/**
 * A list setting from the environment or a command line (e.g. CHROMIUM_ARGS): a JSON array of strings, for
 * items with spaces in them, or items separated by white space. Throws a readable error on a bad array.
 */
export function parseStringList(raw: string | undefined, name: string): string[] {
  const text = raw?.trim();
  if (text === undefined || text === '') return [];
  if (!text.startsWith('[')) return text.split(/\s+/);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${name} starts with '[' but is not a JSON array`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`${name} must be a JSON array of strings`);
  }
  return parsed;
}
