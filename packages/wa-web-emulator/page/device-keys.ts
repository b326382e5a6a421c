/**
 * The companion device's public keys that go into its QR. Real WhatsApp Web generates Curve25519 pairs and an
 * ADV secret; the emulator only needs values of the same shape, made once per page load.
 */
import type { DeviceKeys } from './protocol.js';
import { randomBytes, toBase64 } from './random.js';

export interface KeyMaterial {
  staticPublic: Uint8Array;
  identityPublic: Uint8Array;
  advSecret: string;
  platform: string;
}

/** What real WhatsApp Web puts last in the QR for a browser companion. */
const DEVICE_PLATFORM = 'WEB';

export function generateKeyMaterial(): KeyMaterial {
  return {
    staticPublic: randomBytes(32),
    identityPublic: randomBytes(32),
    advSecret: toBase64(randomBytes(32)),
    platform: DEVICE_PLATFORM,
  };
}

export function publicKeys(material: KeyMaterial): DeviceKeys {
  return {
    staticKey: toBase64(material.staticPublic),
    identityKey: toBase64(material.identityPublic),
    advSecret: material.advSecret,
    platform: material.platform,
  };
}
