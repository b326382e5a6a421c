/**
 * The emulated WhatsApp Web page: installs `window.require` with the emulated modules, announces a web
 * version (`window.Debug.VERSION`, which whatsapp-web.js waits for), and starts the session with the server.
 */
import { report } from './bridge.js';
import { generateKeyMaterial } from './device-keys.js';
import { buildModules } from './modules.js';
import { installRequire } from './require.js';
import { Session } from './session.js';
import { buildSocialModules } from './social-modules.js';
import { createStores } from './stores.js';
import { render } from './view.js';

/**
 * The version WhatsApp Web reports, from the index page that loaded this script (the server writes the one
 * it runs, or the one a cached `<version>.html` was saved as). The fallback is whatsapp-web.js 1.34.7's default.
 */
const WEB_VERSION = document.querySelector('meta[name="wa-web-emulator-version"]')?.getAttribute('content') ?? '2.3000.1017054665';

const stores = createStores();
const keys = generateKeyMaterial();
const session = new Session(stores, keys);

const modules = { ...buildModules(stores, keys, session.actions), ...buildSocialModules(stores, () => session.clientId()) };
installRequire(modules, (name) => report('missing-module', { name }));
window.Debug = { VERSION: WEB_VERSION };

session.start().catch((error: unknown) => {
  console.error('the emulated page could not start', error);
  render({ clientId: null, state: String(stores.socket.get('state')), qr: null, wid: null, note: `error: ${String(error)}` });
});
