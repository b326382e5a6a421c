/**
 * The messages the emulator has carried, per account: the ones it delivered to an account and the ones the
 * account's clients sent. Replies, reactions and revokes from the other side name a message by its
 * serialized key; this is where the emulator checks it exists, in which chat, and who wrote it.
 */
export interface KnownMessage {
  /** The serialized key as the account's clients know it (`false_<from>_<id>` / `true_<to>_<id>`). */
  id: string;
  /** The account (wid) whose chat holds it. */
  account: string;
  /** The other side of that chat. */
  chat: string;
  /** Who wrote it: `chat` for a delivered message, `account` for a sent one. */
  author: string;
  type: string;
  body: string;
}

/** `<fromMe>_<chat>_<id>` (one-to-one chats have no participant part): the message's own id. */
export const stanzaIdOf = (serialized: string): string => serialized.split('_')[2] ?? serialized;

export class MessageBook {
  readonly #messages = new Map<string, KnownMessage>();

  add(message: KnownMessage): void {
    this.#messages.set(`${message.account} ${message.id}`, message);
  }

  get(account: string, id: string): KnownMessage | undefined {
    return this.#messages.get(`${account} ${id}`);
  }
}
