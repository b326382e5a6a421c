/**
 * The flags that make Chromium reach this emulator as https://web.whatsapp.com/: the name resolves to our
 * server, and exactly our certificate's key is accepted (the SPKI pin, checked with Debian's Chromium 156
 * headless, with and without --user-data-dir). No other certificate error is ignored, and no
 * --disable-features is set, since Chromium keeps only the last such flag and callers pass their own.
 */
export const WHATSAPP_WEB_HOST = 'web.whatsapp.com';

export function chromiumArgs(host: string, port: number, spkiSha256: string): string[] {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const target = reachable.includes(':') ? `[${reachable}]:${port}` : `${reachable}:${port}`;
  return [`--host-resolver-rules=MAP ${WHATSAPP_WEB_HOST}:443 ${target}`, `--ignore-certificate-errors-spki-list=${spkiSha256}`];
}
