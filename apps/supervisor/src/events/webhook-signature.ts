import { createHmac } from 'node:crypto';

/** The contract's signature: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. */
export function signWebhook(secret: string, unixSeconds: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex')}`;
}
