/**
 * Replies. A reply carries no key of the message it quotes, only its stanza id and author
 * (`quotedStanzaID`, `quotedParticipant`, from `MsgModel.msgContextInfo`) and a copy of it (`quotedMsg`);
 * WhatsApp Web rebuilds the quoted message's key from those and the reply's own chat, and so does this file,
 * for whatsapp-web.js's `getQuotedMessage()` (`WAWebQuotedMsgModelUtils.getQuotedMsgObj`) and for the
 * `quotedId` of the sent record.
 */
import type { Attributes } from './model.js';
import { MsgKey } from './msg-key.js';
import type { QuotedInfo } from './social-protocol.js';
import { MsgModel, type Stores } from './stores.js';
import { createWid, type Wid, type WidLike } from './wid.js';

/** The attributes an inbound reply has, as `msgContextInfo` gives an outbound one. */
export function quoteAttributes(quoted: QuotedInfo): Attributes {
  return {
    quotedMsg: { type: quoted.type, body: quoted.body },
    quotedStanzaID: quoted.stanzaId,
    quotedParticipant: createWid(quoted.participant),
  };
}

/** The key of the message `attributes` quote, in the chat `remote`; null if they quote nothing. */
export function quotedKeyOf(stores: Stores, attributes: Attributes, remote: Wid): MsgKey | null {
  const stanzaId = attributes['quotedStanzaID'];
  const participant = attributes['quotedParticipant'];
  if (typeof stanzaId !== 'string' || participant === undefined || participant === null) return null;
  const author = createWid(participant as string | WidLike);
  return new MsgKey({ id: stanzaId, fromMe: stores.me()?.equals(author) ?? false, remote });
}

/** For the sent record: the serialized key of the message an outbound reply quotes. */
export function quotedIdOf(stores: Stores, attributes: Attributes, remote: Wid): { quotedId?: string } {
  const key = quotedKeyOf(stores, attributes, remote);
  return key === null ? {} : { quotedId: key._serialized };
}

/** `getQuotedMsgObj(msg)`: the quoted message itself if this page has it, else one rebuilt from the copy. */
export function quotedMsgObj(stores: Stores, msg: MsgModel): MsgModel | undefined {
  const key = quotedKeyOf(stores, msg.serialize(), (msg.get('id') as MsgKey).remote);
  if (key === null) return undefined;
  const known = stores.msgs.get(key._serialized);
  if (known !== undefined) return known;
  const copy = (msg.get('quotedMsg') ?? {}) as Attributes;
  const author = createWid(msg.get('quotedParticipant') as string | WidLike);
  return new MsgModel({ ...copy, id: key, from: author, to: key.fromMe ? key.remote : stores.me(), isNewMsg: false });
}
