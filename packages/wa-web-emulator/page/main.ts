/**
 * The emulated WhatsApp Web page: installs `window.require` with the emulated modules, announces a web
 * version (`window.Debug.VERSION`, which whatsapp-web.js waits for), and starts the session with the server.
 */
import { report } from './bridge.js';
import { generateKeyMaterial } from './device-keys.js';
import { buildModules } from './modules.js';
import { installRequire } from './require.js';
import { Session } from './session.js';
import { createStores } from './stores.js';
import { render } from './view.js';

/** The version WhatsApp Web reports; whatsapp-web.js 1.34.7's default, so its version checks take their usual path. */
const WEB_VERSION = '2.3000.1017054665';

const stores = createStores();
const keys = generateKeyMaterial();
const session = new Session(stores, keys);

installRequire(buildModules(stores, keys, session.actions), (name) => report('missing-module', { name }));
window.Debug = { VERSION: WEB_VERSION };

session.start().catch((error: unknown) => {
  console.error('the emulated page could not start', error);
  render({ clientId: null, state: String(stores.socket.get('state')), qr: null, wid: null, note: `error: ${String(error)}` });
});
