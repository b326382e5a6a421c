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
