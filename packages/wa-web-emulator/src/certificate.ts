/**
 * A self-signed ECDSA P-256 certificate for web.whatsapp.com, made at start with Node's crypto. Chromium is
 * told to accept exactly this key (`--ignore-certificate-errors-spki-list=<sha256 of its SPKI>`), so no
 * other certificate error is ignored and nothing is installed anywhere.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as der from './der.js';

export interface Certificate {
  keyPem: string;
  certPem: string;
  /** base64 SHA-256 of the DER SubjectPublicKeyInfo: Chromium's SPKI pin and curl's `--pinnedpubkey sha256//`. */
  spkiSha256: string;
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const DAY_MS = 86_400_000;

const extension = (oid: string, value: Uint8Array): Buffer =>
  der.sequence(der.objectIdentifier(oid), der.octetString(value));

function ipv4(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

export function createCertificate(hosts: string[], ips: string[], validDays = 30): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = der.sequence(der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String('WhatsApp Web emulator'))));
  const algorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const now = Date.now();
  const altNames = der.sequence(
    ...hosts.map((host) => der.implicitPrimitive(2, Buffer.from(host, 'ascii'))),
    ...ips.map((ip) => der.implicitPrimitive(7, ipv4(ip))),
  );
  const tbs = der.sequence(
    der.explicit(0, der.unsignedInteger(Buffer.from([2]))), // v3
    der.unsignedInteger(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    algorithm,
    name,
    // a day back, so a clock slightly behind ours still accepts it
    der.sequence(der.utcTime(new Date(now - DAY_MS)), der.utcTime(new Date(now + validDays * DAY_MS))),
    name,
    spki,
    der.explicit(
      3,
      der.sequence(
        extension(OID.subjectAltName, altNames),
        der.sequence(der.objectIdentifier(OID.basicConstraints), der.boolean(true), der.octetString(der.sequence())),
        extension(OID.extendedKeyUsage, der.sequence(der.objectIdentifier(OID.serverAuth))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const certificate = der.sequence(tbs, algorithm, der.bitString(signature));
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: toPem('CERTIFICATE', certificate),
    spkiSha256: createHash('sha256').update(spki).digest('base64'),
  };
}

function toPem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
