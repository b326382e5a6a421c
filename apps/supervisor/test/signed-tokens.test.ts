import { describe, expect, it } from 'vitest';
import { TokenSigner } from '../src/auth/signed-tokens.js';

/** Another last character, also one that differs only in bits base64 leaves unused. */
const flipLast = (text: string): string => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;

describe('TokenSigner', () => {
  const HOUR = 3_600_000;

  it('issues tokens that hold neither the key nor anything but purpose, expiry, nonce and mac', () => {
    const signer = new TokenSigner('the-api-key', () => 1_000);
    const { token, expiresAt } = signer.issue('session', HOUR);
    expect(expiresAt).toBe(1_000 + HOUR);
    expect(token).toMatch(/^v1\.session\.3601000\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(token).not.toContain('the-api-key');
    expect(signer.issue('session', HOUR).token).not.toBe(token);
  });

  it('verifies its own tokens for their purpose until they expire', () => {
    let now = 0;
    const signer = new TokenSigner('k', () => now);
    const { token } = signer.issue('events', 1000);
    expect(signer.verify('events', token)).toBe(true);
    expect(signer.verify('session', token)).toBe(false);
    now = 999;
    expect(signer.verify('events', token)).toBe(true);
    now = 1000;
    expect(signer.verify('events', token)).toBe(false);
  });

  it('refuses tokens of another key, altered ones and garbage', () => {
    const signer = new TokenSigner('k');
    const { token } = signer.issue('session', HOUR);
    expect(new TokenSigner('k').verify('session', token)).toBe(true);
    expect(new TokenSigner('k2').verify('session', token)).toBe(false);
    const parts = token.split('.');
    const altered = [
      [parts[0], parts[1], String(Number(parts[2]) + 1), parts[3], parts[4]],
      [parts[0], 'events', parts[2], parts[3], parts[4]],
      [parts[0], parts[1], parts[2], flipLast(parts[3]!), parts[4]],
      [parts[0], parts[1], parts[2], parts[3], flipLast(parts[4]!)],
    ].map((pieces) => pieces.join('.'));
    for (const bad of [...altered, '', 'k', undefined, `${token}.`, `v2${token.slice(2)}`]) {
      expect(signer.verify('session', bad)).toBe(false);
    }
  });

  it('refuses a revoked token until it would have expired, and forgets it afterwards', () => {
    let now = 0;
    const signer = new TokenSigner('k', () => now);
    const kept = signer.issue('session', HOUR).token;
    const revoked = signer.issue('session', HOUR).token;
    signer.revoke('session', revoked);
    signer.revoke('session', 'not-a-token');
    expect(signer.verify('session', revoked)).toBe(false);
    expect(signer.verify('session', kept)).toBe(true);
    now = 2 * HOUR;
    signer.revoke('session', signer.issue('session', HOUR).token);
    expect(signer.verify('session', revoked)).toBe(false);
  });
});
