/**
 * A phone-less WhatsApp with the contract's behaviour:
 *   - first start: status `qr` with a QR that is deterministic per session;
 *   - `simulator.scan()` (or a pairing code confirmed the same way) → `authenticated` → `ready`, and the pairing
 *     is remembered in `<sessionDir>/simulated/auth.json`, so a restarted worker comes back `ready` without a scan;
 *   - sent messages (text or media) get WhatsApp-like ids and acks 1 → 2 → 3; `simulator.inbound()` produces
 *     `message.received`, `simulator.reaction()` / `revoke()` the other party's reactions and deletions;
 *   - media, replies, reactions and revokes follow WhatsApp's rules through simulated/simulated-messages.ts:
 *     an unknown message id is refused, media bytes stay downloadable across restarts;
 *   - the number check answers `exists: false` for numbers ending in 0000, a rule tests can rely on;
 *   - `simulator.disconnect()` drops to `disconnected` and recovers after `reconnectDelayMs`;
 *   - `logout()` deletes the pairing.
 * It adds no delay to start-up, so it measures the worker and supervisor paths themselves. It logs what it plays
 * (pairing restored, scan, drop, reconnect, logout) as webjs logs what WhatsApp Web does; never message texts.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { EngineStatus, InboundMessage, MediaInfo, Me, SentMessage, SimulatedOptions } from '@wsm/ipc-protocol';
import { WorkerError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import type { Engine, EngineContext, MediaToSend, SendOptions, SimulatedInbound, Simulator } from './engine.js';
import { mediaType } from './media-type.js';
import { SimulatedMessages } from './simulated/simulated-messages.js';

const DEFAULT_RECONNECT_DELAY_MS = 1000;
const DEFAULT_ACK_DELAY_MS = 50;
const PAIRING_ALPHABET = 'ABCDEFGHJKLMNPQRSTVWXYZ123456789';

interface StoredPairing {
  me: Me;
  pairedAt: string;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
/**
 * Random hex from a pooled buffer, refilled 512 ids at a time: a randomBytes call per id was 8% of a simulated
 * worker's CPU under a load of inbound messages.
 */
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;
function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString('hex', randomOffset - bytes, randomOffset);
}
const messageId = (fromMe: boolean, chat: string): string => `${fromMe}_${chat}_3EB0${randomHex(8).toUpperCase()}`;

/** The QR a session shows before its first scan; the same every time for the same session id. */
export function simulatedQr(sessionId: string): string {
  return `2@${digest(`wsm-simulated-qr:${sessionId}`).toString('base64url')},simulated,${sessionId}`;
}

export function simulatedPairingCode(sessionId: string, phoneNumber: string): string {
  const bytes = digest(`wsm-simulated-pairing:${sessionId}:${phoneNumber}`);
  return Array.from(bytes.subarray(0, 8), (byte) => PAIRING_ALPHABET[byte % PAIRING_ALPHABET.length]).join('');
}

/** A stable phone number for the simulated account, unless one was given through a pairing code. */
function simulatedAccount(sessionId: string, phoneNumber: string | undefined): Me {
  const subscriber = digest(`wsm-simulated-account:${sessionId}`).readUInt32BE(0) % 10_000_000;
  const number = phoneNumber ?? `1555${String(subscriber).padStart(7, '0')}`;
  return { id: `${number}@c.us`, pushname: sessionId };
}

export class SimulatedEngine implements Engine {
  readonly simulator: Simulator;
  #status: EngineStatus | 'qr' | 'stopped' = 'starting';
  #me: Me | undefined;
  #pairingPhone: string | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #held: Buffer[] = [];
  readonly #authFile: string;
  readonly #options: SimulatedOptions;
  readonly #messages: SimulatedMessages;

  constructor(private readonly context: EngineContext) {
    this.#authFile = join(context.sessionDir, 'simulated', 'auth.json');
    this.#options = context.settings.engine === 'simulated' ? context.settings.options : {};
    this.#messages = new SimulatedMessages(context.sessionDir);
    this.simulator = {
      scan: () => this.#scan(),
      inbound: (from, message) => this.#inbound(from, message),
      reaction: (messageId, emoji, from) => this.#reaction(messageId, emoji, from),
      revoke: (messageId) => this.#revoke(messageId),
      disconnect: () => this.#disconnect(),
      allocate: async (megabytes) => {
        // Filled, so the pages are really committed and show in RSS/PSS.
        this.#held.push(Buffer.alloc(megabytes * 1024 * 1024, 1));
        return this.#held.reduce((total, buffer) => total + buffer.length, 0) / (1024 * 1024);
      },
    };
  }

  async start(): Promise<void> {
    const pairing = await this.#readPairing();
    if (pairing === undefined) {
      this.context.log.info('no saved pairing: showing a QR code for the simulated phone');
      this.#status = 'qr';
      this.context.sink.qr(simulatedQr(this.context.sessionId), 1);
      return;
    }
    this.context.log.info('restored the saved pairing', { me: pairing.me.id, pairedAt: pairing.pairedAt });
    this.#me = pairing.me;
    this.#setStatus('authenticated', { me: pairing.me });
    this.#setStatus('ready', { me: pairing.me });
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#status = 'stopped';
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    this.#expect('qr', WorkerErrorCode.QR_NOT_AVAILABLE, 'a pairing code');
    this.#pairingPhone = phoneNumber.replace(/^\+/, '');
    this.context.log.info('pairing code requested: the simulated phone links with it on a scan');
    return simulatedPairingCode(this.context.sessionId, this.#pairingPhone);
  }

  async sendText(to: string, _text: string, options: SendOptions): Promise<SentMessage> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'sending');
    if (options.replyTo !== undefined) await this.#messages.chatOf(options.replyTo);
    return this.#sent(to, 'chat');
  }

  async sendMedia(to: string, media: MediaToSend, options: SendOptions): Promise<SentMessage> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'sending');
    if (options.replyTo !== undefined) await this.#messages.chatOf(options.replyTo);
    return this.#sent(to, mediaType(media.mimetype, media), media);
  }

  async downloadMedia(id: string, path: string): Promise<MediaInfo> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'downloading media');
    return this.#messages.download(id, path);
  }

  async react(id: string, emoji: string): Promise<void> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'reacting');
    await this.#messages.chatOf(id);
    // whatsapp-web.js reports the session's own reactions as well; so does this engine.
    this.context.sink.event({ type: 'message.reaction', data: { id, emoji, from: this.#me?.id ?? '' } });
  }

  async markRead(_chatId: string): Promise<void> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'marking a chat read');
  }

  async checkNumber(phone: string): Promise<{ exists: boolean; id: string | null }> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'checking a number');
    const digits = phone.replace(/^\+/, '');
    return digits.endsWith('0000') ? { exists: false, id: null } : { exists: true, id: `${digits}@c.us` };
  }

  async #sent(to: string, type: string, media?: MediaToSend): Promise<SentMessage> {
    const sent: SentMessage = { id: messageId(true, to), to, timestamp: nowSeconds(), type };
    await this.#messages.add(sent.id, to, media);
    this.context.log.debug('sent a simulated message; acks follow', { id: sent.id, to, type });
    const delay = this.#options.ackDelayMs ?? DEFAULT_ACK_DELAY_MS;
    for (const ack of [1, 2, 3]) {
      this.#later(delay * ack, () => this.context.sink.event({ type: 'message.ack', data: { id: sent.id, ack } }));
    }
    return sent;
  }

  async logout(): Promise<void> {
    await this.stop();
    await rm(join(this.context.sessionDir, 'simulated'), { recursive: true, force: true });
    this.#me = undefined;
    this.context.log.info('logged out: the saved pairing is deleted');
  }

  async #scan(): Promise<Me> {
    this.#expect('qr', WorkerErrorCode.QR_NOT_AVAILABLE, 'a scan');
    const me = simulatedAccount(this.context.sessionId, this.#pairingPhone);
    // Remembered before `ready` is reported: a kill right after `ready` must not cost a new scan.
    await writeFileAtomic(this.#authFile, JSON.stringify({ me, pairedAt: new Date().toISOString() } satisfies StoredPairing));
    this.#me = me;
    this.context.log.info('the simulated phone linked the session', { me: me.id, with: this.#pairingPhone ? 'pairing code' : 'QR code' });
    this.#setStatus('authenticated', { me });
    this.#setStatus('ready', { me });
    return me;
  }

  async #inbound(from: string, inbound: SimulatedInbound): Promise<InboundMessage> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'an inbound message');
    if (inbound.replyTo !== undefined) await this.#messages.chatOf(inbound.replyTo);
    const id = messageId(false, from);
    const media = inbound.media === undefined ? null : await this.#messages.add(id, from, inbound.media);
    if (media === null) await this.#messages.add(id, from);
    const message: InboundMessage = {
      id,
      from,
      to: this.#me?.id ?? '',
      body: inbound.text ?? '',
      type: media === null ? 'chat' : mediaType(media.mimetype, { asDocument: false, asVoice: false, asSticker: false }),
      timestamp: nowSeconds(),
      hasMedia: media !== null,
      media,
      replyTo: inbound.replyTo ?? null,
    };
    this.context.log.debug('simulated inbound message', { id: message.id, from });
    this.context.sink.event({ type: 'message.received', data: message });
    return message;
  }

  async #reaction(id: string, emoji: string, from: string): Promise<void> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'a reaction');
    await this.#messages.chatOf(id);
    this.context.sink.event({ type: 'message.reaction', data: { id, emoji, from } });
  }

  async #revoke(id: string): Promise<void> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'a revoke');
    await this.#messages.revoke(id);
    this.context.sink.event({ type: 'message.revoked', data: { id } });
  }

  async #disconnect(): Promise<void> {
    this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'a disconnect');
    const reconnectDelayMs = this.#options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
    this.context.log.info('simulated connection drop; reconnecting', { reconnectDelayMs });
    this.#setStatus('disconnected', { reason: 'simulated disconnect' });
    this.#later(reconnectDelayMs, () => {
      if (this.#status !== 'disconnected') return;
      this.context.log.info('simulated connection restored');
      this.#setStatus('ready', { reason: 'reconnected', ...(this.#me ? { me: this.#me } : {}) });
    });
  }

  async #readPairing(): Promise<StoredPairing | undefined> {
    let text: string;
    try {
      text = await readFile(this.#authFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<StoredPairing>;
      if (typeof parsed.me?.id !== 'string') throw new Error('no account id');
      return { me: { id: parsed.me.id, pushname: parsed.me.pushname ?? null }, pairedAt: String(parsed.pairedAt) };
    } catch (cause) {
      throw new WorkerError(
        WorkerErrorCode.AUTH_DATA_CORRUPT,
        `simulated auth data at ${this.#authFile} is unreadable; log out to pair again`,
        { cause },
      );
    }
  }

  #expect(status: EngineStatus | 'qr', code: WorkerErrorCode, what: string): void {
    if (this.#status !== status) {
      throw new WorkerError(code, `${what} needs status '${status}'; the session is '${this.#status}'`);
    }
  }

  #setStatus(status: EngineStatus, info?: { reason?: string; me?: Me }): void {
    this.#status = status;
    this.context.sink.status(status, info);
  }

  #later(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, delayMs);
    this.#timers.add(timer);
  }
}
