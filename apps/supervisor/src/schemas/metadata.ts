/**
 * Bounds of a session's `metadata`: it is stored with the session and returned on every list, so it stays
 * small and shallow. Checked without recursion, so a hostile 5,000-deep body cannot exhaust the stack.
 */
import { Errors } from '../errors.js';

export const METADATA_MAX_BYTES = 16 * 1024;
export const METADATA_MAX_DEPTH = 8;

/** Nesting depth of a JSON value: a scalar is 0, `{}` and `[]` are 1. Stops counting past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, level]);
  }
  return deepest;
}

/** Throws 400 WSM_METADATA_TOO_LARGE unless `metadata` is within both bounds. */
export function assertMetadataBounds(metadata: Record<string, unknown>): void {
  // The object itself is level 1: its values may nest METADATA_MAX_DEPTH - 1 levels further.
  if (jsonDepth(metadata, METADATA_MAX_DEPTH) > METADATA_MAX_DEPTH) {
    throw new Errors.METADATA_TOO_LARGE(`it nests deeper than ${METADATA_MAX_DEPTH} levels`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > METADATA_MAX_BYTES) {
    throw new Errors.METADATA_TOO_LARGE(`${bytes} bytes of JSON, at most ${METADATA_MAX_BYTES} are kept`);
  }
}
