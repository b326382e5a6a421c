/**
 * A URL as shown to API clients: credentials in it (a proxy's password, a webhook receiver's token) never
 * leave the registry. A password is masked; a user name without a password is masked too, since it is then
 * usually a token.
 */
export function maskCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    if (parsed.password !== '') parsed.password = '***';
    else parsed.username = '***';
    const masked = parsed.toString();
    // URL adds a slash to an origin-only URL; keep what the client wrote.
    return url.endsWith('/') || parsed.pathname !== '/' ? masked : masked.replace(/\/$/, '');
  } catch {
    return '***';
  }
}
