/**
 * Plain values both sides need at run time, kept free of TypeBox: a worker that only imports these (and the
 * generated checks) starts without loading the schema library at all.
 */

/** Bumped on any incompatible change; both sides refuse to talk across a mismatch. */
export const PROTOCOL_VERSION = 1;

/** The contract's session id rule. Anything that builds a path from a session id checks it first. */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
const sessionIdRegExp = new RegExp(SESSION_ID_PATTERN);
export const isValidSessionId = (value: unknown): value is string =>
  typeof value === 'string' && sessionIdRegExp.test(value);

export const ENGINE_NAMES = ['webjs', 'simulated'] as const;

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
