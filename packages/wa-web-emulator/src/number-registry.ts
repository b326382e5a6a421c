/**
 * Who is on WhatsApp, as the emulator answers whatsapp-web.js's number check (`getNumberId`,
 * `isRegisteredUser`). A fixed rule callers' tests rely on: every well-formed number (6 to 15 digits,
 * E.164's longest, as a `@c.us` user) is registered except those ending in `0000`, and those a test listed
 * with `setBehavior({ unregistered })`.
 */
const WELL_FORMED = /^\d{6,15}$/;
const UNREGISTERED_SUFFIX = '0000';

/** The registered wid for `wid` (`<digits>@c.us`), or null if no account has that number. */
export function registeredWid(wid: string, unregistered: ReadonlySet<string>): string | null {
  const at = wid.lastIndexOf('@');
  const user = wid.slice(0, at);
  if (at < 0 || wid.slice(at + 1) !== 'c.us' || !WELL_FORMED.test(user)) return null;
  if (user.endsWith(UNREGISTERED_SUFFIX) || unregistered.has(user)) return null;
  return `${user}@c.us`;
}
