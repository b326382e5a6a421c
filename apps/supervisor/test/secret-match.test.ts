import { describe, expect, it } from 'vitest';
import { secretMatcher } from '../src/auth/secret-match.js';

describe('secretMatcher', () => {
  it('accepts the secret alone, whatever was compared before', () => {
    const isKey = secretMatcher('s3cret-ключ');
    expect(isKey('s3cret-ключ')).toBe(true);
    for (const other of ['', 's3cret', 's3cret-ключ ', 'S3cret-ключ', 's3cret-ключa', 's3cret-kljuch', '\uD800', 's3cret-ключ'.repeat(2)]) {
      expect(isKey(other)).toBe(false);
    }
    expect(isKey('s3cret-ключ')).toBe(true);
  });

  it('tells a same-length text of other characters from the secret', () => {
    const isKey = secretMatcher('abcd');
    expect(isKey('abcé'.slice(0, 3))).toBe(false);
    expect(isKey('ab\u00e9')).toBe(false);
    expect(isKey('abcd')).toBe(true);
  });
});
