/**
 * Messages in and out of the emulated page. Inbound ones are added to the `Msg` collection as new messages
 * (whatsapp-web.js turns `add` into `message`); outbound ones are added, reported to the server, and later
 * raised to ack 1, 2, 3 as the server says (whatsapp-web.js turns `change:ack` into `message_ack`).
 */
import { inboundMediaAttributes, newMsgModel, sentMediaReport } from './media-msg.js';
import { MsgKey } from './msg-key.js';
import type { InboundMessage, SentMediaReport } from './protocol.js';
import { quoteAttributes, quotedIdOf } from './replies.js';
import { chatFor, type ChatModel, type MsgModel, type Stores } from './stores.js';
import { createWid } from './wid.js';

export interface OutboundRecord {
  id: string;
  to: string;
  body: string;
  timestamp: number;
  media?: SentMediaReport | undefined;
  quotedId?: string;
}

export function addInbound(stores: Stores, message: InboundMessage): MsgModel {
  const from = createWid(message.from);
  const key = new MsgKey({ id: message.id, fromMe: false, remote: from });
  const msg = newMsgModel({
    id: key,
    type: 'chat',
    body: message.body,
    t: message.timestamp,
    from,
    to: createWid(message.to),
    ack: 1,
    isNewMsg: true,
    local: false,
    self: 'in',
    star: false,
    broadcast: false,
    isForwarded: false,
    forwardingScore: 0,
    mentionedJidList: [],
    groupMentions: [],
    ...inboundMediaAttributes(message.media),
    ...(message.quoted === undefined ? {} : quoteAttributes(message.quoted)),
  });
  stores.msgs.add(msg);
  const chat = chatFor(stores, from);
  chat.set({ t: message.timestamp, lastReceivedKey: key, unreadCount: Number(chat.get('unreadCount') ?? 0) + 1 });
  return msg;
}

/**
 * WhatsApp Web's `addAndSendMsgToChat`: `[added, sendResult]`. The result never rejects (WhatsApp Web keeps
 * an unsent message with its clock instead), and whatsapp-web.js awaits it only with `waitUntilMsgSent`.
 */
export function addAndSend(
  stores: Stores,
  chat: ChatModel,
  attributes: Record<string, unknown>,
  send: (record: OutboundRecord) => Promise<void>,
): [Promise<MsgModel>, Promise<{ messageSendResult: string }>] {
  const msg = stores.msgs.add(newMsgModel({ ...attributes, ack: 0 }));
  const key = msg.get('id') as MsgKey;
  const timestamp = Number(attributes['t'] ?? Math.floor(Date.now() / 1000));
  chat.set({ t: timestamp });
  const media = sentMediaReport(attributes);
  // a media message's body is its preview (a thumbnail) in WhatsApp Web; the record shows its caption instead
  const body = media === undefined ? String(attributes['body'] ?? '') : (media.caption ?? '');
  const record = { id: key._serialized, to: key.remote._serialized, body, timestamp, media, ...quotedIdOf(stores, attributes, key.remote) };
  const result = send(record).then(
    () => ({ messageSendResult: 'OK' }),
    (error: unknown) => {
      console.error('sending failed', error);
      return { messageSendResult: 'ERROR' };
    },
  );
  return [Promise.resolve(msg), result];
}

/** Acks only rise (1 server, 2 delivered, 3 read), as on a real phone. */
export function applyAck(stores: Stores, serialized: string, ack: number): void {
  const msg = stores.msgs.get(serialized);
  if (msg !== undefined && Number(msg.get('ack') ?? 0) < ack) msg.set({ ack });
}
