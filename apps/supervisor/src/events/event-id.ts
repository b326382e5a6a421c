/**
 * Event ids: ULIDs (26 characters of Crockford base32: 48 bits of milliseconds, 80 random bits), monotonic within
 * a process, so ids sort in the order events were recorded and stay unique across restarts and machines.
 */
import { randomBytes } from 'node:crypto';

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

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 characters of 5 bits each.
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let index = 0; index < 16; index++) {
    out = ALPHABET[Number(bits & 31n)]! + out;
    bits >>= 5n;
  }
  return out;
}

export function createEventIds(now: () => number = Date.now): () => string {
  let lastTime = -1;
  let last = new Uint8Array(RANDOM_BYTES);
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
      last = new Uint8Array(randomBytes(RANDOM_BYTES));
      lastTime = time;
    }
    return encodeTime(time) + encodeRandom(last);
  };
}

const EVENT_ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** Whether `value` is an id this service could have given an event (a ULID, upper or lower case). */
export const isEventId = (value: string): boolean => EVENT_ID.test(value.toUpperCase());
