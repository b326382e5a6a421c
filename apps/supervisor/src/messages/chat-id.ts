/**
 * Whom a message goes to (or, simulated, comes from): a phone number, or a WhatsApp id. Normalized to the id
 * WhatsApp uses, so `+1 (555) 000-2222`, `15550002222` and `15550002222@c.us` are one chat, and
 * `not-a-number` is refused instead of becoming `not-a-number@c.us`.
 */
import { Errors } from '../errors.js';

/** E.164: at most 15 digits; the shortest real numbers have 6 or more with their country code. */
const PHONE = /^\+?[0-9][0-9 ().-]{4,22}$/;
const IDS: readonly RegExp[] = [
  /^[0-9]{6,20}@c\.us$/, // a person
  /^[0-9]{6,20}(?:-[0-9]{6,20})?@g\.us$/, // a group (new: one number; old: creator-timestamp)
  /^[0-9]{6,24}@lid$/, // a person behind a linked-device id
  /^[0-9]{6,24}@newsletter$/, // a channel
  /^[0-9]{6,24}@broadcast$/, // a broadcast list
];

/** The WhatsApp id of `value`, or a coded 400 naming `field`. */
export function normalizeChatId(value: string, field: string): string {
  const trimmed = value.trim();
  if (PHONE.test(trimmed)) {
    const digits = trimmed.replace(/\D/g, '');
    if (digits.length >= 6 && digits.length <= 15) return `${digits}@c.us`;
  }
  const id = trimmed.toLowerCase().replace(/@s\.whatsapp\.net$/, '@c.us');
  if (IDS.some((pattern) => pattern.test(id))) return id;
  throw new Errors.INVALID_CHAT_ID(field, value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
