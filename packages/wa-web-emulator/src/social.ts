/**
 * What people do to messages besides sending them, on the emulator's side: the other person replies to,
 * reacts to or deletes a message (pushed to the account's online pages), and the record of what the clients
 * did — reactions, deletions for everyone, chats marked read — plus the number registry they query.
 * Messages are named by their serialized keys and checked against the message book: a reply, reaction or
 * revoke of a message the emulator never carried is refused, as WhatsApp would have nothing to point at.
 */
import type { PageCommand } from '../page/protocol.js';
import type { QueryExistsReply, QueryExistsRequest, QuotedInfo, ReactedReport, RevokedReport, SeenReport } from '../page/social-protocol.js';
import type { ClientRecord, ClientRegistry, LinkedRecord } from './client-registry.js';
import { errors } from './errors.js';
import { newInboundMessageId } from './ids.js';
import { MessageBook, stanzaIdOf, type KnownMessage } from './message-book.js';
import { registeredWid } from './number-registry.js';
import { RecordLog } from './record-log.js';

/** A reaction a client made (`message.react(emoji)`); `emoji` '' took one back. */
export interface Reaction {
  /** The serialized key of the message reacted to. */
  msgId: string;
  emoji: string;
  /** The account that reacted. */
  from: string;
  /** ISO 8601. */
  at: string;
}

/** A message a client deleted for everyone (`message.delete(true)`). */
export interface Revoke {
  id: string;
  /** The account that deleted it. */
  by: string;
}

/** A chat a client marked read (`client.sendSeen(chatId)`). */
export interface Seen {
  chatId: string;
  /** ISO 8601. */
  at: string;
}

export interface ReactionRequest {
  /** The serialized key of a message the emulator delivered to, or carried from, the account. */
  id: string;
  /** '' takes a reaction back. */
  emoji: string;
  /** Who reacts; default the other side of the message's chat. */
  from?: string;
}

export interface SocialSettings {
  pageTimeoutMs: number;
  log: (line: string) => void;
}

export class Social {
  readonly book = new MessageBook();
  readonly reactions = new RecordLog<Reaction>();
  readonly revokes = new RecordLog<Revoke>();
  readonly seen = new RecordLog<Seen>();
  readonly #clients: ClientRegistry;
  readonly #settings: SocialSettings;
  #unregistered: ReadonlySet<string> = new Set();

  constructor(clients: ClientRegistry, settings: SocialSettings) {
    this.#clients = clients;
    this.#settings = settings;
  }

  // ── the other person ──────────────────────────────────────────────────────────────────────────────────

  /** What a reply from `chat` to `account` carries about `quotedId`, which must be a message of that chat. */
  quoteFor(account: string, chat: string, quotedId: string): QuotedInfo {
    const quoted = this.#known(account, quotedId);
    if (quoted.chat !== chat) throw errors.unknownMessage(`the chat of ${account} with ${chat}`, quotedId);
    return { stanzaId: stanzaIdOf(quoted.id), participant: quoted.author, type: quoted.type, body: quoted.body };
  }

  async react(account: string, request: ReactionRequest): Promise<void> {
    const target = this.#known(account, request.id);
    const reactor = request.from ?? target.chat;
    const reaction = { id: newInboundMessageId(), parent: target.id, emoji: request.emoji, from: reactor, timestampMs: Date.now() };
    await this.#pushToAccount(account, { type: 'reaction', reaction });
    this.#settings.log(`${reactor} reacted ${JSON.stringify(request.emoji)} to ${target.id} of ${account}`);
  }

  /** The other person deletes, for everyone, a message they sent to `account`. */
  async revoke(account: string, id: string): Promise<void> {
    const target = this.#known(account, id);
    if (target.author === account) throw errors.notRevocable(id);
    await this.#pushToAccount(account, { type: 'revoke', serialized: target.id });
    this.#settings.log(`${target.author} revoked ${target.id} for everyone`);
  }

  setUnregistered(numbers: readonly string[]): void {
    this.#unregistered = new Set(numbers.map((number) => number.replace(/\D/g, '')));
  }

  // ── what the clients did (page reports) ──────────────────────────────────────────────────────────────

  reacted(report: ReactedReport): void {
    const { account } = this.#online(report.clientId).link;
    this.reactions.add({ msgId: report.msgId, emoji: report.emoji, from: account.wid, at: new Date().toISOString() });
    this.#settings.log(`${account.wid} reacted ${JSON.stringify(report.emoji)} to ${report.msgId}`);
  }

  revoked(report: RevokedReport): void {
    const { account } = this.#online(report.clientId).link;
    this.revokes.add({ id: report.id, by: account.wid });
    this.#settings.log(`${account.wid} revoked ${report.id} for everyone`);
  }

  markedSeen(report: SeenReport): void {
    this.#online(report.clientId);
    this.seen.add({ chatId: report.chatId, at: new Date().toISOString() });
  }

  queryExists(request: QueryExistsRequest): QueryExistsReply {
    return { wid: registeredWid(request.wid, this.#unregistered) };
  }

  // ── inside ────────────────────────────────────────────────────────────────────────────────────────────

  #known(account: string, id: string): KnownMessage {
    const known = this.book.get(account, id);
    if (known === undefined) throw errors.unknownMessage(account, id);
    return known;
  }

  #online(clientId: string): LinkedRecord {
    const record: ClientRecord | undefined = this.#clients.get(clientId);
    if (record === undefined) throw errors.unknownClient(clientId);
    if (record.link.kind !== 'linked' || !record.link.online) throw errors.notConnected(`client ${clientId}`);
    return record as LinkedRecord;
  }

  /** Every online page of the account carries it out, as WhatsApp fans out to all linked devices. */
  async #pushToAccount(account: string, command: PageCommand): Promise<void> {
    const targets = this.#clients.linkedAs(account).filter((record) => record.link.online);
    if (targets.length === 0) throw errors.notConnected(account);
    await Promise.all(targets.map((record) => record.channel.push(command, this.#settings.pageTimeoutMs)));
  }
}
