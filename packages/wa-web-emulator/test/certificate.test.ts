/** The self-signed certificate made with Node's crypto and a small DER writer. */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificate } from '../src/certificate.js';

describe('createCertificate', () => {
  const certificate = createCertificate(['web.whatsapp.com', 'localhost'], ['127.0.0.1']);
  const parsed = new X509Certificate(certificate.certPem);

  it('is a self-signed certificate for web.whatsapp.com, localhost and 127.0.0.1', () => {
    expect(parsed.verify(parsed.publicKey)).toBe(true);
    expect(parsed.subjectAltName).toBe('DNS:web.whatsapp.com, DNS:localhost, IP Address:127.0.0.1');
    expect(parsed.checkHost('web.whatsapp.com')).toBe('web.whatsapp.com');
    expect(parsed.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(parsed.ca).toBe(false);
    expect(new Date(parsed.validFrom).getTime()).toBeLessThan(Date.now());
    expect(new Date(parsed.validTo).getTime()).toBeGreaterThan(Date.now() + 7 * 86_400_000);
  });

  it('pins the SHA-256 of its public key, and its private key matches', () => {
    const spki = parsed.publicKey.export({ type: 'spki', format: 'der' });
    expect(certificate.spkiSha256).toBe(createHash('sha256').update(spki).digest('base64'));
    expect(parsed.checkPrivateKey(createPrivateKey(certificate.keyPem))).toBe(true);
    expect(createPublicKey(certificate.keyPem).export({ type: 'spki', format: 'der' })).toEqual(spki);
  });
});

