/**
 * The page shell: navigation, the live connection's state, sign-out, and the view the hash names. One live store
 * (one EventSource) serves every view.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { hasSignIn } from './api.js';
import { useLive } from './hooks.js';
import { LiveSessions, type Connection } from './live.js';
import { useRoute, type Route } from './router.js';
import { ClusterView } from './views/cluster-view.js';
import { SessionView } from './views/session-view.js';
import { SessionsView } from './views/sessions-view.js';
import { WebhooksView } from './views/webhooks-view.js';
import './style.css';

const CONNECTION_WORDS: Readonly<Record<Connection, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

function Shell({ live }: { live: LiveSessions }) {
  useLive(live);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const [signInEnabled, setSignInEnabled] = useState(false);

  useEffect(() => {
    void hasSignIn().then(setSignInEnabled);
  }, []);

  // A new view: the focus goes to its content, as a page load would put it.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
    window.scrollTo(0, 0);
  }, [route.view, route.view === 'session' ? route.sessionId : '']);

  const signOut = async (): Promise<void> => {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
    location.assign('/auth/login?next=%2Fdashboard');
  };

  const current = (view: Route['view'] | 'sessions-any'): 'page' | undefined =>
    view === route.view || (view === 'sessions-any' && (route.view === 'sessions' || route.view === 'session')) ? 'page' : undefined;

  return (
    <>
      <a class="skip" href="#main" onClick={(event) => (event.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true" />
          WhatsApp Session Manager
        </div>
        <nav aria-label="Dashboard">
          <a href="#/" aria-current={current('sessions-any')}>
            Sessions
          </a>
          <a href="#/webhooks" aria-current={current('webhooks')}>
            Webhooks
          </a>
          <a href="#/cluster" aria-current={current('cluster')}>
            Cluster
          </a>
        </nav>
        <div class="top-end">
          <span class={`connection is-${live.connection}`} data-connection={live.connection}>
            <span class="dot" aria-hidden="true" />
            {CONNECTION_WORDS[live.connection]}
          </span>
          <a href="/docs">API docs</a>
          {signInEnabled ? (
            <button type="button" class="quiet" onClick={() => void signOut()}>
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {route.view === 'sessions' ? <SessionsView live={live} /> : null}
        {route.view === 'session' ? <SessionView key={route.sessionId} live={live} sessionId={route.sessionId} /> : null}
        {route.view === 'webhooks' ? <WebhooksView /> : null}
        {route.view === 'cluster' ? <ClusterView /> : null}
      </main>
    </>
  );
}

const live = new LiveSessions();
live.start();
render(<Shell live={live} />, document.getElementById('app')!);
