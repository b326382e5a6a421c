/**
 * Event ids: ULIDs (26 characters of Crockford base32: 48 bits of milliseconds, 80 random bits), monotonic within
 * a process, so ids sort in the order events were recorded and stay unique across restarts and machines.
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_BYTES = 10;

function encodeTime(ms: number): string {
  let out = '';
  for (let index = 0; index < 10; index++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** 80 bits → 16 characters of 5 bits each: two halves of 40 bits, each exact in a double (no BigInt on the hot path). */
function encodeRandom(bytes: Uint8Array): string {
  return encode40(bytes, 0) + encode40(bytes, 5);
}

function encode40(bytes: Uint8Array, offset: number): string {
  let value = 0;
  for (let index = offset; index < offset + 5; index++) value = value * 256 + bytes[index]!;
  let out = '';
  for (let index = 0; index < 8; index++) {
    out = ALPHABET[value % 32]! + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/**
 * Random bytes from a pooled buffer refilled 400 ids at a time: a randomBytes call per id was 1-2% of the
 * supervisor's CPU at a thousand events a second.
 */
const pool = Buffer.alloc(RANDOM_BYTES * 400);
let poolOffset = pool.length;
function freshRandom(): Uint8Array {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += RANDOM_BYTES;
  return Uint8Array.from(pool.subarray(poolOffset - RANDOM_BYTES, poolOffset));
}

export function createEventIds(now: () => number = Date.now): () => string {
  let lastTime = -1;
  let last: Uint8Array = new Uint8Array(RANDOM_BYTES);
  return () => {
    const time = Math.max(now(), lastTime);
    if (time === lastTime) {
      // Same millisecond: increment the random part, so the id still sorts after the previous one.
      const next = Uint8Array.from(last);
      for (let index = RANDOM_BYTES - 1; index >= 0; index--) {
        next[index] = (next[index]! + 1) & 0xff;
        if (next[index] !== 0) break;
      }
      last = next;
    } else {
      last = freshRandom();
      lastTime = time;
    }
    return encodeTime(time) + encodeRandom(last);
  };
}

const EVENT_ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** Whether `value` is an id this service could have given an event (a ULID, upper or lower case). */
export const isEventId = (value: string): boolean => EVENT_ID.test(value.toUpperCase());
