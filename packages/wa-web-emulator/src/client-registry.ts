/**
 * The pages (one per Chromium) connected to this emulator. Before pairing a page is found by the QR ref it
 * shows or the pairing code it asked for; once paired, by its account's wid. Every change emits `change`.
 */
import { EventEmitter } from 'node:events';
import type { Account, DeviceKeys, PageCommand } from '../page/protocol.js';
import type { PageChannel } from './page-channel.js';

export type Link =
  | { kind: 'unpaired'; ref: string; pairingCode: { code: string; phone: string } | null }
  | { kind: 'linked'; token: string; account: Account; online: boolean };

export interface ClientRecord {
  readonly clientId: string;
  readonly channel: PageChannel;
  keys: DeviceKeys;
  /** The socket state the page last reported (UNPAIRED, PAIRING, CONNECTED, TIMEOUT, OPENING, ...). */
  state: string;
  /** whatsapp-web.js has finished injecting into the page (its last listener is registered). */
  attached: boolean;
  link: Link;
  refTimer: NodeJS.Timeout | undefined;
  /** Acks that came while the page was offline, pushed when it reconnects. */
  deferred: PageCommand[];
}

export type LinkedRecord = ClientRecord & { link: Extract<Link, { kind: 'linked' }> };

const isLinked = (record: ClientRecord): record is LinkedRecord => record.link.kind === 'linked';

export interface ClientView {
  clientId: string;
  state: string;
  wid: string | null;
  /** The QR the page shows now, exactly as whatsapp-web.js emits it; null once paired or in code mode. */
  qr: string | null;
  pairingCode: string | null;
  /** Paired and not dropped: messages can be delivered. */
  online: boolean;
  attached: boolean;
}

/** `ref,staticKey,identityKey,advSecret,platform`, as whatsapp-web.js builds it in `inject()`. */
export const qrOf = (ref: string, keys: DeviceKeys): string =>
  [ref, keys.staticKey, keys.identityKey, keys.advSecret, keys.platform].join(',');

export function viewOf(record: ClientRecord): ClientView {
  const { link } = record;
  return {
    clientId: record.clientId,
    state: record.state,
    wid: link.kind === 'linked' ? link.account.wid : null,
    qr: link.kind === 'unpaired' && link.pairingCode === null ? qrOf(link.ref, record.keys) : null,
    pairingCode: link.kind === 'unpaired' ? (link.pairingCode?.code ?? null) : null,
    online: link.kind === 'linked' && link.online,
    attached: record.attached,
  };
}

export class ClientRegistry extends EventEmitter {
  readonly #clients = new Map<string, ClientRecord>();

  add(record: ClientRecord): void {
    this.#clients.set(record.clientId, record);
    this.changed();
  }

  get(clientId: string): ClientRecord | undefined {
    return this.#clients.get(clientId);
  }

  remove(clientId: string): ClientRecord | undefined {
    const record = this.#clients.get(clientId);
    if (record === undefined) return undefined;
    this.#clients.delete(clientId);
    clearInterval(record.refTimer);
    record.channel.close();
    this.changed();
    return record;
  }

  all(): ClientRecord[] {
    return [...this.#clients.values()];
  }

  /** Live pages paired as `wid` (an account may link several devices). */
  linkedAs(wid: string): LinkedRecord[] {
    return this.all().filter(isLinked).filter((record) => record.link.account.wid === wid);
  }

  /** Live pages online as the device `token` names, but `except`. */
  onlineAsDevice(token: string, except: ClientRecord): LinkedRecord[] {
    return this.all().filter(isLinked).filter((record) => record !== except && record.link.token === token && record.link.online);
  }

  views(): ClientView[] {
    return this.all().map(viewOf);
  }

  changed(): void {
    this.emit('change');
  }
}
