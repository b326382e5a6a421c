/**
 * Which Chromium to run and with which flags. The flags keep one session's browser lean and quiet on a
 * server: no sandbox helper processes we cannot use as root, no GPU, no background services phoning home
 * (on a closed network their connections fail by the dozen), one renderer for the one page we load.
 */
import { accessSync, constants } from 'node:fs';
import { WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import { WorkerError } from '../../errors.js';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The configured executable, else the first one found on the machine; a clear error naming the fix otherwise. */
export function findChromium(configured: string | undefined): string {
  if (configured !== undefined) {
    if (isExecutable(configured)) return configured;
    throw new WorkerError(
      WorkerErrorCode.CHROMIUM_NOT_FOUND,
      `CHROMIUM_PATH ${configured} is not an executable file; install Chromium (Debian/Ubuntu: apt-get install -y chromium) or fix the path`,
    );
  }
  const found = CANDIDATES.find(isExecutable);
  if (found !== undefined) return found;
  throw new WorkerError(
    WorkerErrorCode.CHROMIUM_NOT_FOUND,
    `no Chromium found (looked in ${CANDIDATES.slice(0, 5).join(', ')}); install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH`,
  );
}

/**
 * The page's viewport, and so a screenshot's size. Set as puppeteer's `defaultViewport`: headless Chromium
 * takes `--window-size` as the outer size and keeps 87 px of it for window decorations, so a window of
 * 1280×900 alone gave 1280×813 screenshots (whatsapp-web.js's default viewport is null: the window's).
 */
export const VIEWPORT = { width: 1280, height: 900 } as const;

/** Our flags; puppeteer adds its own automation defaults, and operator/emulator flags come after these. */
export function leanChromiumArgs(): string[] {
  const args = [
    '--disable-gpu',
    '--in-process-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    // The window, else Chromium's 800×600 default; the page itself is VIEWPORT (puppeteer emulates it).
    `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
    // Not --disable-crashpad-for-testing: with it Chromium 156 never gets WhatsApp Web's page going (seen here).
    // Its two crashpad handlers daemonize out of the browser's process group; the supervisor kills them by
    // their inherited session mark (WorkerHandle).
    '--disable-breakpad',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--metrics-recording-only',
    '--mute-audio',
    '--password-store=basic',
    '--renderer-process-limit=1',
    '--disable-site-isolation-trials',
    '--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater,site-per-process,IsolateOrigins,SpareRendererForSitePerProcess',
    // Headless Chromium is the full browser: it preloads the address bar's popup as a WebUI page
    // (chrome://omnibox-popup.top-chrome/ and its AI-mode twin), which takes a renderer of its own that
    // --renderer-process-limit does not cover. Nobody types into an omnibox here. Measured with
    // bench/benchmarks/webjs-flags.mjs: one process less, PSS 198 → 159 MB (0.80×) with 6 browsers running.
    // (puppeteer merges every --disable-features it is given into one.)
    '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
    // The network service in the (never sandboxed) browser process instead of a utility process of its own. Out of
    // process it is a sandbox boundary, which runs as root do not have anyway (below), and a crash of it would not
    // end the browser; here it does, and the supervisor restarts the session like after any other crash. The
    // page makes one origin's requests. Measured: one process less, PSS 0.89× (anonymous PSS 0.89×) of the above.
    // (puppeteer merges --enable-features likewise.)
    '--enable-features=NetworkServiceInProcess2',
  ];
  // Chromium refuses to start as root with its sandbox; the worker process boundary is our isolation.
  if (process.getuid?.() === 0) args.push('--no-sandbox', '--no-zygote');
  return args;
}

/** Chromium takes a proxy without credentials; those go to page.authenticate. */
export function proxySettings(proxy: string | undefined): { arg: string; credentials?: { username: string; password: string } } | undefined {
  if (proxy === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    throw new WorkerError(WorkerErrorCode.BROWSER_LAUNCH_FAILED, 'the session proxy is not a URL (e.g. http://user:pass@host:3128)');
  }
  const arg = `--proxy-server=${url.protocol}//${url.host}`;
  if (url.username === '') return { arg };
  return { arg, credentials: { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } };
}
