/** Identifiers in the shapes WhatsApp uses: QR refs, pairing codes, message ids, phone numbers. */
import { createHash, randomBytes, randomInt } from 'node:crypto';

/** The alphabet of WhatsApp's 8-character pairing codes (no 0/O, 1/I/L ambiguity). */
const CODE_ALPHABET = '123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const newClientId = (): string => `c${randomBytes(6).toString('hex')}`;

/** A QR ref like the server's (`2@` and base64). */
export const newRef = (): string => `2@${randomBytes(36).toString('base64')}`;

export const newDeviceToken = (): string => randomBytes(24).toString('base64url');

/** A name for the device a token belongs to that can be shown and logged: the token itself is a credential. */
export const deviceIdOf = (token: string): string => createHash('sha256').update(token).digest('base64url').slice(0, 12);

export const newPairingCode = (): string =>
  Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');

/** A phone's message id (32 hex digits: whatsapp-web.js reads that length as an Android sender). */
export const newInboundMessageId = (): string => randomBytes(16).toString('hex').toUpperCase();

/** A North American number on the 555 exchange that fiction uses. */
export const newPhoneNumber = (): string => `1555${String(randomInt(10_000_000)).padStart(7, '0')}`;

/** `ABCD-1234` and `abcd1234` as `ABCD1234`. */
export const normalizePairingCode = (code: string): string => code.replace(/[\s-]/g, '').toUpperCase();
