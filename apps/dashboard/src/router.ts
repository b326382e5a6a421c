/** Hash routes (`#/sessions/shop-42`): the server serves one page, and a deep link survives the sign-in. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'sessions' }
  | { view: 'session'; sessionId: string }
  | { view: 'webhooks' }
  | { view: 'cluster' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const session = /^\/sessions\/([^/]+)$/.exec(path);
  if (session !== null) return { view: 'session', sessionId: decodeURIComponent(session[1]!) };
  if (path === '/webhooks') return { view: 'webhooks' };
  if (path === '/cluster') return { view: 'cluster' };
  return { view: 'sessions' };
}

export const sessionHref = (sessionId: string): string => `#/sessions/${encodeURIComponent(sessionId)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
