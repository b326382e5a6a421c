/**
 * The phone and WhatsApp's servers as the emulated pages see them. Pages report through `hello`, `state`,
 * `sent`...; the control side (tests, the CLI) acts through `scan`, `deliver`, `dropConnection`, `logout`
 * (and `react`, `revoke`: social.ts).
 *
 * A page's link, per client:
 *
 *   unpaired(ref, refreshed every qrRefreshMs) ──pairing code asked──▶ unpaired(code, no refresh)
 *        │ scan(qr)                                   │ enterPairingCode(code)
 *        └────────────────────┬───────────────────────┘
 *                             ▼
 *            linked(online) ──dropConnection──▶ linked(offline) ──page says hello again──▶ linked(online)
 *                │            │ logout (phone or client)          ▲
 *                │ the device comes online in another page        │ the page takes over (says hello again)
 *                └─────────────────▶ linked(offline, CONFLICT) ───┘
 *                             ▼
 *            record removed; the page clears its pairing and reloads as a new, unpaired client
 *
 * Devices (token → account) outlive pages: a page that comes back with a known token is linked at once.
 * One device is one token: the page keeps it with its pairing (a restored profile brings it back), while its
 * keys are made anew on every load. A device goes online from a second page while a first is still online
 * as it: that overlap is recorded (see overlap-log.ts), and the first is told `conflict`, as WhatsApp's server
 * replaces a device's older connection with the newer one.
 */
import type { ServerResponse } from 'node:http';
import type { Account, HelloReply, HelloRequest, PageCommand, PairingCodeReply, SentReport } from '../page/protocol.js';
import { ClientRegistry, qrOf, type ClientRecord, type ClientView } from './client-registry.js';
import { errors } from './errors.js';
import { sentMediaOf, storeDelivered, type Delivery } from './media-messages.js';
import { MediaStore } from './media-store.js';
import { deviceIdOf, newClientId, newDeviceToken, newInboundMessageId, newPairingCode, newPhoneNumber, newRef, normalizePairingCode } from './ids.js';
import { PageChannel } from './page-channel.js';
import { OverlapLog } from './overlap-log.js';
import { SentLog, type SentRecord } from './sent-log.js';
import { Social, type ReactionRequest } from './social.js';
import { waitFor } from './wait-for.js';

export interface EmulationSettings {
  qrRefreshMs: number;
  ackDelayMs: number;
  /** How long a page may take to confirm a pushed command (and to open its event stream). */
  pageTimeoutMs: number;
  /** The largest media the emulator accepts, uploaded or delivered (it keeps all media in memory). */
  maxMediaBytes: number;
  /** The WhatsApp Web version served at `/` (`window.Debug.VERSION`). */
  webVersion: string;
  log: (line: string) => void;
}

export interface Behavior {
  /** After pairing or restoring, let whatsapp-web.js reach `authenticated` but never `ready`. */
  withholdReady: boolean;
  /** Numbers the number check says are not on WhatsApp, besides those ending in 0000 (number-registry.ts). */
  unregistered: string[];
}

export interface AccountRequest {
  phone?: string;
  pushname?: string;
}

/** Counts for a glance (the control API's `GET status`). */
export interface EmulatorStatus {
  /** Pages connected now, paired or not. */
  clients: number;
  /** Pages paired and online now. */
  online: number;
  /** Paired devices the emulator knows (a device outlives its pages). */
  devices: number;
  sent: number;
  /** Overlaps recorded since start: a device online from two pages at once. Cluster tests expect 0. */
  overlaps: number;
}

const DEFAULT_PUSHNAME = 'Emulated Phone';

/** `15550001111`, `+1 555 000 1111` and `15550001111@c.us` all name the same user. */
export function toUserWid(value: string): string {
  if (value.includes('@')) return value;
  const digits = value.replace(/\D/g, '');
  if (digits === '') throw errors.badRequest(`"${value}" is neither a wid nor a phone number`);
  return `${digits}@c.us`;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class Emulation {
  readonly clients = new ClientRegistry();
  readonly sentLog = new SentLog();
  readonly overlaps = new OverlapLog();
  readonly media: MediaStore;
  /** Replies, reactions, revokes, read receipts and the number check (social.ts). */
  readonly social: Social;
  readonly #settings: EmulationSettings;
  readonly #devices = new Map<string, Account>();
  readonly #missing = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #behavior: Behavior = { withholdReady: false, unregistered: [] };
  #closed = false;

  constructor(settings: EmulationSettings) {
    this.#settings = settings;
    this.media = new MediaStore(settings.maxMediaBytes);
    this.social = new Social(this.clients, settings);
  }

  get webVersion(): string {
    return this.#settings.webVersion;
  }

  // ── the page side ─────────────────────────────────────────────────────────────────────────────────────

  hello(request: HelloRequest): HelloReply {
    this.#assertOpen();
    const account = request.token === null ? undefined : this.#devices.get(request.token);
    const existing = request.clientId === null ? undefined : this.clients.get(request.clientId);
    if (existing !== undefined) return this.#reconnect(existing, request, account);

    const clientId = newClientId();
    const record: ClientRecord = {
      clientId,
      channel: new PageChannel(clientId),
      keys: request.keys,
      state: 'OPENING',
      attached: false,
      link: { kind: 'unpaired', ref: newRef(), pairingCode: null },
      refTimer: undefined,
      deferred: [],
    };
    if (account !== undefined && request.token !== null) {
      record.link = { kind: 'linked', token: request.token, account, online: true };
    } else {
      this.#startRefreshing(record);
    }
    this.clients.add(record);
    this.#cameOnline(record);
    // a page that never opens its event stream died between its two requests
    this.#later(this.#settings.pageTimeoutMs, () => {
      if (!record.channel.attached && this.clients.get(clientId) === record) this.clients.remove(clientId);
    });
    this.#settings.log(`${clientId} hello: ${account === undefined ? 'unpaired' : `restored as ${account.wid}`}`);
    return this.#replyFor(record);
  }

  openEvents(clientId: string, response: ServerResponse): void {
    const record = this.#client(clientId);
    record.channel.attach(response);
    response.on('close', () => {
      // the page navigated away or its browser closed; a replaced stream is not a departure
      if (record.channel.isCurrent(response) && this.clients.get(clientId) === record) {
        this.#settings.log(`${clientId} left`);
        this.clients.remove(clientId);
      }
    });
  }

  pageState(clientId: string, state: string): void {
    const record = this.clients.get(clientId);
    if (record === undefined) return;
    record.state = state;
    this.clients.changed();
  }

  pageAttached(clientId: string): void {
    const record = this.clients.get(clientId);
    if (record === undefined) return;
    record.attached = true;
    this.clients.changed();
  }

  pageAck(clientId: string, seq: number, error: string | null): void {
    this.clients.get(clientId)?.channel.acknowledge(seq, error);
  }

  requestPairingCode(clientId: string, phone: string): PairingCodeReply {
    const record = this.#client(clientId);
    if (record.link.kind !== 'unpaired') throw errors.notUnpaired(clientId);
    const digits = phone.replace(/\D/g, '');
    if (digits === '') throw errors.badRequest(`"${phone}" is not a phone number`);
    clearInterval(record.refTimer);
    const code = newPairingCode();
    record.link = { ...record.link, pairingCode: { code, phone: digits } };
    this.clients.changed();
    this.#settings.log(`${clientId} asked for a pairing code for ${phone}: ${code}`);
    return { code };
  }

  /** Back from code linking to QR linking (whatsapp-web.js's `cancelPairingCode`). */
  qrLinking(clientId: string): void {
    const record = this.#client(clientId);
    if (record.link.kind !== 'unpaired') throw errors.notUnpaired(clientId);
    record.link = { kind: 'unpaired', ref: record.link.ref, pairingCode: null };
    this.#nextRef(record);
    this.#startRefreshing(record);
  }

  refreshQr(clientId: string): void {
    const record = this.#client(clientId);
    if (record.link.kind !== 'unpaired' || record.link.pairingCode !== null) return;
    this.#nextRef(record);
    this.#startRefreshing(record);
  }

  recordSent(report: SentReport): SentRecord {
    const record = this.#client(report.clientId);
    if (record.link.kind !== 'linked' || !record.link.online) throw errors.notConnected(`client ${report.clientId}`);
    const media = sentMediaOf(this.media, report.media);
    const sent: SentRecord = {
      id: report.id,
      from: record.link.account.wid,
      to: report.to,
      body: report.body,
      timestamp: report.timestamp,
      ...media.fields,
      ...(report.quotedId === undefined ? {} : { quotedId: report.quotedId }),
    };
    if (media.stored !== undefined) this.media.attach(sent.id, sent.from, media.stored);
    this.sentLog.add(sent);
    this.social.book.add({ id: sent.id, account: sent.from, chat: sent.to, author: sent.from, type: sent.type, body: sent.body });
    this.#settings.log(`${sent.from} sent to ${sent.to}: ${JSON.stringify(sent.body)}`);
    for (const ack of [1, 2, 3]) {
      this.#later(this.#settings.ackDelayMs * ack, () => this.#pushAck(report.clientId, { type: 'ack', serialized: sent.id, ack }));
    }
    return sent;
  }

  /** The client logged out itself (`client.logout()`): the device is gone. */
  logoutFromPage(clientId: string): void {
    const record = this.#client(clientId);
    if (record.link.kind === 'linked') {
      this.#devices.delete(record.link.token);
      this.#settings.log(`${record.link.account.wid} logged out from the client`);
    }
    this.clients.remove(clientId);
  }

  missingModule(name: string): void {
    if (this.#missing.has(name)) return;
    this.#missing.add(name);
    this.#settings.log(`page asked for a module the emulator lacks: ${name}`);
  }

  // ── the control side ──────────────────────────────────────────────────────────────────────────────────

  async scan(qr: string, account: AccountRequest = {}): Promise<{ wid: string }> {
    this.#assertOpen();
    const trimmed = qr.trim();
    const ref = trimmed.split(',')[0];
    const record = this.clients
      .all()
      .find((candidate) => candidate.link.kind === 'unpaired' && candidate.link.pairingCode === null && candidate.link.ref === ref);
    if (record === undefined || qrOf(ref ?? '', record.keys) !== trimmed) throw errors.unknownQr(trimmed);
    return this.#pair(record, this.#newAccount(account.phone, account.pushname));
  }

  async enterPairingCode(code: string, account: Omit<AccountRequest, 'phone'> = {}): Promise<{ wid: string }> {
    this.#assertOpen();
    const wanted = normalizePairingCode(code);
    for (const record of this.clients.all()) {
      if (record.link.kind === 'unpaired' && record.link.pairingCode?.code === wanted) {
        return this.#pair(record, this.#newAccount(record.link.pairingCode.phone, account.pushname));
      }
    }
    throw errors.unknownCode(wanted);
  }

  async deliver(to: string, message: Delivery): Promise<{ id: string }> {
    this.#assertOpen();
    const wid = toUserWid(to);
    const from = toUserWid(message.from);
    if (message.body === undefined && message.media === undefined) throw errors.badRequest('a message needs a body or media');
    const targets = this.clients.linkedAs(wid).filter((record) => record.link.online);
    if (targets.length === 0) throw errors.notConnected(wid);
    const quoted = message.quotedId === undefined ? undefined : this.social.quoteFor(wid, from, message.quotedId);
    const id = newInboundMessageId();
    const serialized = `false_${from}_${id}`;
    const media = message.media === undefined ? undefined : storeDelivered(this.media, message.media, message.body ?? null);
    if (media !== undefined) this.media.attach(serialized, wid, media.stored);
    const body = message.body ?? '';
    const inbound = { serialized, id, from, to: wid, body, timestamp: nowSeconds(), media: media?.inbound, ...(quoted === undefined ? {} : { quoted }) };
    // every linked device of the account gets the message, as WhatsApp fans out to all of them
    await Promise.all(targets.map((record) => record.channel.push({ type: 'message', message: inbound }, this.#settings.pageTimeoutMs)));
    this.social.book.add({ id: serialized, account: wid, chat: from, author: from, type: media?.inbound.type ?? 'chat', body });
    const what = media === undefined ? '' : `${media.inbound.type} ${media.inbound.mimetype} (${media.inbound.size} bytes) `;
    const reply = quoted === undefined ? '' : ` replying to ${message.quotedId}`;
    this.#settings.log(`delivered to ${wid} from ${from}: ${what}${JSON.stringify(body)}${reply}`);
    return { id: serialized };
  }

  async dropConnection(wid: string, forMs: number): Promise<void> {
    this.#assertOpen();
    const targets = this.clients.linkedAs(toUserWid(wid)).filter((record) => record.link.online);
    if (targets.length === 0) throw errors.notConnected(toUserWid(wid));
    for (const record of targets) record.link.online = false;
    this.clients.changed();
    await Promise.all(targets.map((record) => record.channel.push({ type: 'drop', forMs }, this.#settings.pageTimeoutMs)));
    this.#settings.log(`dropped ${wid} for ${forMs} ms`);
  }

  /** Logout from the phone ("Linked devices → Log out"): every device of the account is unlinked. */
  async logout(wid: string): Promise<void> {
    this.#assertOpen();
    const user = toUserWid(wid);
    const tokens = [...this.#devices].filter(([, account]) => account.wid === user).map(([token]) => token);
    const live = this.clients.linkedAs(user);
    if (tokens.length === 0 && live.length === 0) throw errors.noDevice(user);
    for (const token of tokens) this.#devices.delete(token);
    await Promise.all(
      live.map(async (record) => {
        await record.channel.push({ type: 'logout' }, this.#settings.pageTimeoutMs);
        this.clients.remove(record.clientId);
      }),
    );
    this.#settings.log(`logged out ${user} from the phone`);
  }

  /** The bytes of a media message a page sent; undefined for text or an unknown id. */
  sentMedia(id: string): Buffer | undefined {
    return this.sentLog.has(id) ? this.media.ofMessage(id)?.bytes : undefined;
  }

  /** The phone no longer has this delivered (or sent) message's media: downloading it finds nothing. */
  expireMedia(wid: string, id: string): void {
    this.media.expire(toUserWid(wid), id);
    this.#settings.log(`expired the media of ${id} for ${toUserWid(wid)}`);
  }

  setBehavior(behavior: Partial<Behavior>): void {
    this.#behavior = { ...this.#behavior, ...behavior };
    this.social.setUnregistered(this.#behavior.unregistered);
  }

  /** The other person reacts to a message of the chat (`from` defaults to them); '' takes it back. */
  async react(to: string, request: ReactionRequest): Promise<void> {
    this.#assertOpen();
    const from = request.from === undefined ? undefined : toUserWid(request.from);
    await this.social.react(toUserWid(to), { id: request.id, emoji: request.emoji, ...(from === undefined ? {} : { from }) });
  }

  /** The other person deletes a message they sent to `to`, for everyone. */
  async revoke(to: string, id: string): Promise<void> {
    this.#assertOpen();
    await this.social.revoke(toUserWid(to), id);
  }

  waitForClient(predicate: (client: ClientView) => boolean, timeoutMs: number): Promise<ClientView> {
    return waitFor(this.clients, 'change', () => this.clients.views().find(predicate), 'a client that matches', timeoutMs);
  }

  unimplementedModules(): string[] {
    return [...this.#missing];
  }

  status(): EmulatorStatus {
    const views = this.clients.views();
    return {
      clients: views.length,
      online: views.filter((view) => view.online).length,
      devices: this.#devices.size,
      sent: this.sentLog.all().length,
      overlaps: this.overlaps.count,
    };
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const record of this.clients.all()) this.clients.remove(record.clientId);
  }

  // ── inside ────────────────────────────────────────────────────────────────────────────────────────────

  async #pair(record: ClientRecord, account: Account): Promise<{ wid: string }> {
    clearInterval(record.refTimer);
    const token = newDeviceToken();
    this.#devices.set(token, account);
    record.link = { kind: 'linked', token, account, online: true };
    this.clients.changed();
    await record.channel.push({ type: 'paired', token, account, withholdReady: this.#behavior.withholdReady }, this.#settings.pageTimeoutMs);
    this.#settings.log(`${record.clientId} paired as ${account.wid}`);
    return { wid: account.wid };
  }

  #reconnect(record: ClientRecord, request: HelloRequest, account: Account | undefined): HelloReply {
    record.keys = request.keys;
    if (account !== undefined && request.token !== null) {
      record.link = { kind: 'linked', token: request.token, account, online: true };
      this.#cameOnline(record);
      for (const command of record.deferred.splice(0)) void this.#push(record, command);
      this.#settings.log(`${record.clientId} reconnected as ${account.wid}`);
    } else {
      // unlinked while away: the page clears its pairing and reloads, so no refreshing for this record
      record.link = { kind: 'unpaired', ref: newRef(), pairingCode: null };
      this.#settings.log(`${record.clientId} came back unlinked`);
    }
    this.clients.changed();
    return this.#replyFor(record);
  }

  /**
   * `record` has just come online as its device: any other page online as that device overlaps with it, and
   * is displaced (offline, told `conflict`) — the newer connection wins, as on WhatsApp's server.
   */
  #cameOnline(record: ClientRecord): void {
    if (record.link.kind !== 'linked') return;
    const { token, account } = record.link;
    const displaced = this.clients.onlineAsDevice(token, record);
    for (const first of displaced) {
      const overlap = { wid: account.wid, device: deviceIdOf(token), firstClientId: first.clientId, secondClientId: record.clientId, at: new Date().toISOString() };
      this.overlaps.add(overlap);
      this.#settings.log(`overlap: device ${overlap.device} of ${account.wid} came online in ${record.clientId} while still online in ${first.clientId}`);
      first.link.online = false;
      // not awaited: a page stopped or dying may never confirm, and the newer connection must not wait for it
      void this.#push(first, { type: 'conflict' });
    }
    if (displaced.length > 0) this.clients.changed();
  }

  #replyFor(record: ClientRecord): HelloReply {
    const { link } = record;
    return link.kind === 'linked'
      ? { clientId: record.clientId, status: 'connected', account: link.account, withholdReady: this.#behavior.withholdReady }
      : { clientId: record.clientId, status: 'unpaired', ref: link.ref };
  }

  #newAccount(phone: string | undefined, pushname: string | undefined): Account {
    const inUse = new Set([...this.#devices.values()].map((account) => account.phone));
    let digits = phone?.replace(/\D/g, '') ?? '';
    if (phone !== undefined && digits === '') throw errors.badRequest(`"${phone}" is not a phone number`);
    while (digits === '' || (phone === undefined && inUse.has(digits))) digits = newPhoneNumber();
    return { wid: `${digits}@c.us`, phone: digits, pushname: pushname ?? DEFAULT_PUSHNAME };
  }

  #startRefreshing(record: ClientRecord): void {
    clearInterval(record.refTimer);
    record.refTimer = setInterval(() => this.#nextRef(record), this.#settings.qrRefreshMs);
    record.refTimer.unref();
  }

  #nextRef(record: ClientRecord): void {
    if (record.link.kind !== 'unpaired') return;
    const ref = newRef();
    record.link = { ...record.link, ref };
    this.clients.changed();
    void this.#push(record, { type: 'ref', ref });
  }

  #pushAck(clientId: string, command: PageCommand): void {
    const record = this.clients.get(clientId);
    if (record === undefined || record.link.kind !== 'linked') return;
    if (record.link.online) void this.#push(record, command);
    else record.deferred.push(command);
  }

  /** A push nobody awaits: its failure is only worth a log line. */
  async #push(record: ClientRecord, command: PageCommand): Promise<void> {
    try {
      await record.channel.push(command, this.#settings.pageTimeoutMs);
    } catch (error) {
      this.#settings.log(`${record.clientId} ${command.type}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  #client(clientId: string): ClientRecord {
    const record = this.clients.get(clientId);
    if (record === undefined) throw errors.unknownClient(clientId);
    return record;
  }

  #assertOpen(): void {
    if (this.#closed) throw errors.closed();
  }
}
