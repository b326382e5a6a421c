/**
 * Credentials for browsers, derived from API_KEY: the session cookie (`session`) and short-lived `?token=`s for an
 * EventSource (`events`). A token is `v1.<purpose>.<expiresAtMs>.<nonce>.<mac>`, the mac an HMAC-SHA256 of the rest
 * under a key derived from API_KEY. So a token never contains the key, carries its own expiry, is good for its own
 * purpose only, and stops working when API_KEY changes. Stateless but for revocation: a logged-out token is
 * remembered (in this process) until it would have expired.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'session' | 'events';

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

const VERSION = 'v1';
const SHAPE = /^v1\.(session|events)\.(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export class TokenSigner {
  readonly #key: Buffer;
  readonly #now: () => number;
  /** Revoked nonces and their expiry. */
  readonly #revoked = new Map<string, number>();

  constructor(apiKey: string, now: () => number = Date.now) {
    // A key of its own: a token's mac is no oracle for the API key itself.
    this.#key = createHmac('sha256', apiKey).update('wsm browser credentials v1').digest();
    this.#now = now;
  }

  issue(purpose: TokenPurpose, ttlMs: number): IssuedToken {
    const expiresAt = this.#now() + ttlMs;
    const body = `${VERSION}.${purpose}.${expiresAt}.${randomBytes(16).toString('base64url')}`;
    return { token: `${body}.${this.#mac(body).toString('base64url')}`, expiresAt };
  }

  /** True for a token this key issued for this purpose, not expired and not revoked; constant time in the mac. */
  verify(purpose: TokenPurpose, token: string | undefined): boolean {
    const parts = token === undefined ? null : SHAPE.exec(token);
    if (parts === null || parts[1] !== purpose) return false;
    // Compared as text: decoding would let the unused low bits of the last character vary.
    const presented = Buffer.from(parts[4]!);
    const expected = Buffer.from(this.#mac(token!.slice(0, token!.lastIndexOf('.'))).toString('base64url'));
    if (!timingSafeEqual(presented, expected)) return false;
    return Number(parts[2]) > this.#now() && !this.#revoked.has(parts[3]!);
  }

  /** Refuses a valid token from now on, until it would have expired anyway. */
  revoke(purpose: TokenPurpose, token: string | undefined): void {
    if (!this.verify(purpose, token)) return;
    const now = this.#now();
    for (const [nonce, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(nonce);
    const parts = SHAPE.exec(token!)!;
    this.#revoked.set(parts[3]!, Number(parts[2]));
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key).update(body).digest();
  }
}
