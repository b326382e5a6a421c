/**
 * Credentials that ride in URLs, masked before a URL reaches a log line: query parameters named like a credential
 * (`api_key`, `apiKey`, `key`, `token`, `access_token`, `password`, `client_secret`, `sig`…) and the password of
 * a `user:password@` part. Everything else stays as it was sent, so a logged URL still says what was asked.
 */

const MASK = '[redacted]';

/** Compared after lower-casing and dropping `-`, `_` and `.`: `API-Key`, `api_key` and `apiKey` are one name. */
const CREDENTIAL_NAME = /(key|token|secret|password|passwd|pwd|pass|auth|authorization|credentials?|signature|sig|cookie|session)$/;

function isCredentialName(encoded: string): boolean {
  let name: string;
  try {
    name = decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    name = encoded;
  }
  return CREDENTIAL_NAME.test(name.toLowerCase().replace(/[-_.\s[\]]/g, ''));
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return equals !== -1 && isCredentialName(name) ? `${name}=${MASK}` : pair;
    })
    .join('&');
}

export function redactUrl(url: string): string {
  // `scheme://user:password@host`: the password goes, the user stays (it says which account). A user without a
  // password (`https://token@host`) is usually a token itself: it goes (the same rule as net/mask-url.ts).
  let redacted = url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, `$1:${MASK}@`)
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@:]+@/i, `$1${MASK}@`);
  const question = redacted.indexOf('?');
  if (question === -1) return redacted;
  const hash = redacted.indexOf('#', question);
  const end = hash === -1 ? redacted.length : hash;
  redacted = `${redacted.slice(0, question + 1)}${redactQuery(redacted.slice(question + 1, end))}${redacted.slice(end)}`;
  return redacted;
}
