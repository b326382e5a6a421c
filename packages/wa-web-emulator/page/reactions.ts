/**
 * Reactions. whatsapp-web.js learns of every reaction — received, sent by this client, changed or taken back
 * (`reactionText === ''`) — by wrapping `WAWebAddonReactionTableMode.reactionTableMode.bulkUpsert` when it gets
 * `ready` (WhatsApp Web stores reactions through it), and emits `message_reaction` with `id` = the record's
 * `id`, `msgId` = its `reactionParentKey`, `senderId` = `(author ?? from)._serialized`, `reaction` =
 * `reactionText`, `timestamp` = `reactionTimestamp / 1000`. So every reaction goes through that function,
 * looked up on the object at each call: whatsapp-web.js replaces the property.
 * Sending is `WAWebSendReactionMsgAction.sendReactionToMsg(msg, emoji)` (`message.react(emoji)`).
 */
import { post } from './bridge.js';
import { MsgKey } from './msg-key.js';
import type { InboundReaction } from './social-protocol.js';
import type { MsgModel, Stores } from './stores.js';
import { createWid, type Wid } from './wid.js';

/** A row of WhatsApp Web's reaction table, with the fields whatsapp-web.js reads. */
export interface ReactionRow {
  id: MsgKey;
  reactionParentKey: MsgKey;
  reactionText: string;
  /** Milliseconds since the epoch. */
  reactionTimestamp: number;
  from: Wid;
  orphan: number;
  orphanReason: string | null;
  read: boolean;
  ack: number;
}

/** The one reaction table of this page (one page, one WhatsApp Web). */
const reactionTableMode = {
  bulkUpsert: async (rows: ReactionRow[]): Promise<ReactionRow[]> => rows,
};

function store(rows: ReactionRow[]): Promise<ReactionRow[]> {
  return reactionTableMode.bulkUpsert(rows);
}

function row(parent: MsgKey, reaction: { id: MsgKey; emoji: string; from: Wid; timestampMs: number; read: boolean }): ReactionRow {
  return {
    id: reaction.id,
    reactionParentKey: parent,
    reactionText: reaction.emoji,
    reactionTimestamp: reaction.timestampMs,
    from: reaction.from,
    orphan: 0,
    orphanReason: null,
    read: reaction.read,
    ack: 1,
  };
}

export function reactionModules(stores: Stores, clientId: () => string): Record<string, unknown> {
  return {
    WAWebAddonReactionTableMode: { reactionTableMode },
    WAWebSendReactionMsgAction: {
      sendReactionToMsg: async (msg: MsgModel, emoji: string): Promise<void> => {
        const parent = msg.get('id') as MsgKey;
        const me = stores.me();
        if (me === null) throw new Error('not logged in');
        // reported first: a reaction the emulator refused (the page offline) is not shown as made
        await post('reacted', { clientId: clientId(), msgId: parent._serialized, emoji });
        const id = new MsgKey({ id: await MsgKey.newId(), fromMe: true, remote: parent.remote });
        await store([row(parent, { id, emoji, from: me, timestampMs: Date.now(), read: true })]);
      },
    },
  };
}

/** The other person reacted (or took a reaction back) on a message this page has. */
export async function applyInboundReaction(stores: Stores, reaction: InboundReaction): Promise<void> {
  const parent = stores.msgs.get(reaction.parent)?.get('id') as MsgKey | undefined;
  if (parent === undefined) throw new Error(`no message ${reaction.parent} to react to`);
  const from = createWid(reaction.from);
  const id = new MsgKey({ id: reaction.id, fromMe: false, remote: parent.remote });
  await store([row(parent, { id, emoji: reaction.emoji, from, timestampMs: reaction.timestampMs, read: false })]);
}
