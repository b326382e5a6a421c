/**
 * Webhook targets an API client registers: a URL that parses, http or https, with a host; and, with
 * BLOCK_PRIVATE_ADDRESSES, one that does not resolve to this machine or its network. Refused at registration
 * with a coded 400, so a target that can never work is not retried for an hour as if it were down.
 */
import { Errors } from '../errors.js';
import { blockedAddressOf } from '../net/address-guard.js';

export function assertWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Errors.INVALID_WEBHOOK_URL(JSON.stringify(url), 'it is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Errors.INVALID_WEBHOOK_URL(JSON.stringify(url), 'only http and https are delivered');
  }
  if (parsed.hostname === '') throw new Errors.INVALID_WEBHOOK_URL(JSON.stringify(url), 'it has no host');
  return parsed;
}

/** Checks every target's URL, and with the guard on, where its host resolves. */
export async function assertWebhookTargets(targets: ReadonlyArray<{ url: string }>, blockPrivate: boolean): Promise<void> {
  const hosts = new Set(targets.map(({ url }) => assertWebhookUrl(url).hostname));
  if (!blockPrivate) return;
  for (const host of hosts) {
    let refused: string | undefined;
    try {
      refused = await blockedAddressOf(host);
    } catch (error) {
      throw new Errors.INVALID_WEBHOOK_URL(host, `its host does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (refused !== undefined) throw new Errors.ADDRESS_BLOCKED(host, refused);
  }
}
