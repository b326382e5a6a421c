/**
 * Deleting messages. "Delete for everyone" turns the message into type `revoked` where it stands; whatsapp-web.js
 * emits `message_revoke_everyone(message, revoked_msg)` on `change:type` to `revoked`, where `revoked_msg` is the
 * last state it saw in a `change` of that message (so a `change` is raised first, carrying the message as it
 * was) and its id is replaced by `protocolMessageKey` when the revoked message has one (here: the key itself).
 * The client's own side: `msg.delete(true)` asks `WAWebMsgActionCapability` whether it may, then calls
 * `Cmd.sendRevokeMsgs(chat, { list, type }, options)`; `msg.delete(false)` calls `Cmd.sendDeleteMsgs`, which
 * removes the message here only (whatsapp-web.js: `message_revoke_me`).
 */
import { post } from './bridge.js';
import type { MsgKey } from './msg-key.js';
import type { MsgModel, Stores } from './stores.js';

/** A message deleted for everyone, as WhatsApp Web shows it afterwards. */
export function revoke(msg: MsgModel, subtype: 'sender_revoke' | 'admin_revoke'): void {
  // whatsapp-web.js keeps the last `change` it saw as the message before revocation (its `revoked_msg`)
  msg.trigger('change', msg);
  msg.set({ type: 'revoked', subtype, protocolMessageKey: msg.get('id') });
}

const listOf = (messages: { list: MsgModel[] } | MsgModel[]): MsgModel[] => (Array.isArray(messages) ? messages : messages.list);

const canSenderRevokeMsg = (msg: MsgModel): boolean => (msg.get('id') as MsgKey).fromMe && msg.get('type') !== 'revoked';

export function revokeModules(stores: Stores, clientId: () => string): Record<string, unknown> {
  // Cmd is WhatsApp Web's command bus; its two delete commands live here, with the rest of deleting
  Object.assign(stores.cmd, {
    sendRevokeMsgs: async (_chat: unknown, messages: { list: MsgModel[] } | MsgModel[]): Promise<void> => {
      for (const msg of listOf(messages)) {
        if (!canSenderRevokeMsg(msg)) continue;
        // awaited: once msg.delete(true) returns, the emulator has the revoke
        await post('revoked', { clientId: clientId(), id: (msg.get('id') as MsgKey)._serialized });
        revoke(msg, 'sender_revoke');
      }
    },
    sendDeleteMsgs: async (_chat: unknown, messages: { list: MsgModel[] } | MsgModel[]): Promise<void> => {
      for (const msg of listOf(messages)) stores.msgs.remove(msg.get('id'));
    },
  });
  return {
    WAWebMsgActionCapability: { canSenderRevokeMsg, canAdminRevokeMsg: (_msg: MsgModel) => false },
  };
}

/** The other person deleted their message for everyone. */
export function applyInboundRevoke(stores: Stores, serialized: string): void {
  const msg = stores.msgs.get(serialized);
  if (msg === undefined) throw new Error(`no message ${serialized} to revoke`);
  revoke(msg, 'sender_revoke');
}
