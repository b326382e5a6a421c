/**
 * The page's life as WhatsApp Web shows it to whatsapp-web.js, driven by the server's commands:
 *
 *   OPENING ──hello: unknown device──▶ UNPAIRED  (Conn.ref replaced on every `ref`: a new QR)
 *      │                                  │ `paired` (QR scanned or code entered): pairing saved first
 *      │ hello: known device              ▼
 *      └────────────────────────────▶ PAIRING ─▶ CONNECTED ─▶ hasSynced, once whatsapp-web.js listens for it
 *                                                   │ ▲
 *                                          `drop`   ▼ │ hello again, after forMs
 *                                             TIMEOUT ─▶ OPENING
 *
 *   CONNECTED ──`conflict` (the device came online in another page)──▶ CONFLICT ──Socket.takeover()──▶ OPENING
 *   whatsapp-web.js reads CONFLICT as a disconnect (`disconnected` 'CONFLICT', then it destroys the client),
 *   or with `takeoverOnConflict` calls `takeover()`, which says hello again and displaces the other page.
 *   whatsapp-web.js listens for state changes only after sync, just before `ready`: displaced earlier, it hears
 *   nothing (a page displaced before whatsapp-web.js listened for `hasSynced` never syncs: no ready either).
 *
 *   `logout`, or the server no longer knowing the device: pairing cleared, Cmd `logout`, reload at
 *   `/?post_logout=1` (whatsapp-web.js reads that as LOGOUT). The socket state is left alone meanwhile:
 *   whatsapp-web.js would take any state but CONNECTED/OPENING/PAIRING/TIMEOUT as a disconnect of its own.
 */
import { openCommands, post, report } from './bridge.js';
import { publicKeys, type KeyMaterial } from './device-keys.js';
import { addInbound, applyAck, type OutboundRecord } from './messages.js';
import type { PageActions } from './modules.js';
import { clearPairing, loadPairing, savePairing } from './pairing-store.js';
import type { Account, HelloReply, PageCommand, PairingCodeReply, PushedCommand, StoredPairing } from './protocol.js';
import { carryOutSocial } from './social-modules.js';
import type { Stores } from './stores.js';
import { render } from './view.js';
import { createWid } from './wid.js';

const CLIENT_LOGOUT_RELOAD_MS = 1000;

interface Pending {
  record: OutboundRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Session {
  readonly #stores: Stores;
  readonly #keys: KeyMaterial;
  #clientId: string | null = null;
  #pairing: StoredPairing | null = null;
  #withholdReady = false;
  // texts sent while the connection is down go out once it is back, as WhatsApp Web queues them
  #outbox: Pending[] = [];

  constructor(stores: Stores, keys: KeyMaterial) {
    this.#stores = stores;
    this.#keys = keys;
    stores.socket.actions = {
      logout: () => this.#logoutFromClient(),
      reconnect: () => undefined,
      refreshQR: () => this.#refreshQR(),
      takeover: () => void this.#reconnect(),
    };
    stores.cmd.actions = stores.socket.actions;
  }

  readonly actions: PageActions = {
    requestPairingCode: async (phone) => {
      const reply = (await post('pairing-code', { clientId: this.#requireClientId(), phone })) as PairingCodeReply;
      this.#render(`pairing code: ${reply.code}`);
      return reply.code;
    },
    qrLinking: async () => {
      await post('qr-linking', { clientId: this.#requireClientId() });
    },
    send: (record) => {
      if (this.#stores.socket.get('state') === 'CONNECTED') return this.#send(record);
      return new Promise((resolve, reject) => this.#outbox.push({ record, resolve, reject }));
    },
  };

  /** The id the server knows this page by (its reports carry it). */
  clientId(): string {
    return this.#requireClientId();
  }

  async start(): Promise<void> {
    this.#pairing = await loadPairing();
    const reply = await this.#hello();
    openCommands(
      reply.clientId,
      (pushed) => void this.#onCommand(pushed),
      () => this.#render('lost the emulator: reload this page once it runs again'),
    );
    // whatsapp-web.js registers this listener last when it injects: from then on it sees everything
    void this.#stores.cmd.whenListened('logout_from_bridge').then(() => report('attached', { clientId: reply.clientId }));
    await this.#apply(reply);
  }

  async #hello(): Promise<HelloReply> {
    const reply = (await post('hello', {
      clientId: this.#clientId,
      token: this.#pairing?.token ?? null,
      keys: publicKeys(this.#keys),
    })) as HelloReply;
    this.#clientId = reply.clientId;
    return reply;
  }

  async #apply(reply: HelloReply): Promise<void> {
    if (reply.status === 'connected') {
      this.#connect(reply.account, reply.withholdReady);
      return;
    }
    if (this.#pairing !== null) await this.#forget();
    // the ref first: whatsapp-web.js reads Conn.ref as soon as it sees UNPAIRED
    this.#stores.conn.set({ ref: reply.ref });
    this.#setState('UNPAIRED');
  }

  async #onCommand({ seq, command }: PushedCommand): Promise<void> {
    let error: string | null = null;
    try {
      await this.#carryOut(command);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    await post('ack', { clientId: this.#requireClientId(), seq, error });
    // after the ack, or the server would wait for a page that is gone
    if (command.type === 'logout' && error === null) leaveAfterLogout();
  }

  async #carryOut(command: PageCommand): Promise<void> {
    switch (command.type) {
      case 'ref':
        this.#stores.conn.set({ ref: command.ref });
        this.#render();
        return;
      case 'paired':
        this.#pairing = { token: command.token, account: command.account };
        await savePairing(this.#pairing);
        this.#setState('PAIRING');
        this.#connect(command.account, command.withholdReady);
        return;
      case 'message':
        addInbound(this.#stores, command.message);
        return;
      case 'ack':
        applyAck(this.#stores, command.serialized, command.ack);
        return;
      case 'drop':
        this.#setState('TIMEOUT');
        setTimeout(() => void this.#reconnect(), command.forMs);
        return;
      case 'conflict':
        this.#setState('CONFLICT');
        return;
      case 'logout':
        await this.#forget();
        this.#stores.cmd.trigger('logout');
        return;
      case 'reaction':
      case 'revoke':
        await carryOutSocial(this.#stores, command);
        return;
    }
  }

  #connect(account: Account, withholdReady: boolean): void {
    this.#withholdReady = withholdReady;
    this.#stores.conn.set({ wid: createWid(account.wid), pushname: account.pushname, phone: account.phone });
    this.#setState('CONNECTED');
    void this.#markSynced();
    this.#flushOutbox();
  }

  /** `hasSynced` is what sends whatsapp-web.js from `authenticated` to `ready`; flipped once it listens. */
  async #markSynced(): Promise<void> {
    const { socket } = this.#stores;
    if (socket.get('hasSynced') === true) return;
    await socket.whenListened('change:hasSynced');
    // displaced meanwhile: WhatsApp Web does not sync a connection the server has replaced
    if (socket.get('state') === 'CONFLICT') return;
    if (this.#withholdReady) withholdUtils();
    socket.set({ hasSynced: true });
  }

  async #reconnect(): Promise<void> {
    this.#setState('OPENING');
    const reply = await this.#hello();
    if (reply.status === 'connected') {
      this.#setState('CONNECTED');
      this.#flushOutbox();
      // a page displaced before it synced, now taking over, syncs now
      void this.#markSynced();
      return;
    }
    // the phone unlinked this device while it was away
    await this.#forget();
    this.#stores.cmd.trigger('logout');
    leaveAfterLogout();
  }

  async #logoutFromClient(): Promise<void> {
    await post('logout', { clientId: this.#requireClientId() });
    await this.#forget();
    this.#stores.cmd.trigger('logout');
    // WhatsApp Web reloads after its logout round trip. Reloading at once would race whatsapp-web.js, which
    // closes the browser right after this returns: its re-inject into the reloaded page would then fail.
    setTimeout(leaveAfterLogout, CLIENT_LOGOUT_RELOAD_MS);
  }

  #refreshQR(): void {
    if (this.#clientId !== null) report('refresh-qr', { clientId: this.#clientId });
  }

  async #forget(): Promise<void> {
    await clearPairing();
    this.#pairing = null;
  }

  #send(record: OutboundRecord): Promise<void> {
    return post('sent', { clientId: this.#requireClientId(), ...record }).then(() => undefined);
  }

  #flushOutbox(): void {
    const pending = this.#outbox;
    this.#outbox = [];
    for (const { record, resolve, reject } of pending) this.#send(record).then(resolve, reject);
  }

  #setState(state: string): void {
    this.#stores.socket.set({ state });
    if (this.#clientId !== null) report('state', { clientId: this.#clientId, state });
    this.#render();
  }

  #render(note?: string): void {
    const { socket, conn } = this.#stores;
    const state = String(socket.get('state'));
    const ref = conn.get('ref');
    const keys = publicKeys(this.#keys);
    const qr = state === 'UNPAIRED' && typeof ref === 'string' ? [ref, keys.staticKey, keys.identityKey, keys.advSecret, keys.platform].join(',') : null;
    render({ clientId: this.#clientId, state, qr, wid: this.#stores.me()?._serialized ?? null, ...(note === undefined ? {} : { note }) });
  }

  #requireClientId(): string {
    if (this.#clientId === null) throw new Error('the page has not said hello yet');
    return this.#clientId;
  }
}

/** What WhatsApp Web does after a logout: a fresh load that shows a new QR. */
function leaveAfterLogout(): void {
  location.replace('/?post_logout=1');
}

/**
 * The "withhold ready" behaviour. whatsapp-web.js emits `authenticated` on `hasSynced` and then installs
 * `window.WWebJS` before `ready`; keeping that name unassignable makes its ready path fail right after
 * `authenticated`, as with a WhatsApp Web build it cannot drive.
 */
function withholdUtils(): void {
  Object.defineProperty(window, 'WWebJS', { configurable: true, get: () => undefined, set: () => undefined });
}
