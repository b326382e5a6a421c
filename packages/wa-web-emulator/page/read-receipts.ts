/**
 * Read receipts: whatsapp-web.js's `sendSeen(chatId)` ends in `WAWebUpdateUnreadChatAction.sendSeen`. The
 * chat's unread count drops to 0 and the emulator is told, so tests can see that the client marked it read.
 */
import { post } from './bridge.js';
import type { ChatModel } from './stores.js';
import type { Wid } from './wid.js';

export function readReceiptModules(clientId: () => string): Record<string, unknown> {
  return {
    WAWebUpdateUnreadChatAction: {
      sendSeen: async ({ chat }: { chat: ChatModel }) => {
        chat.set({ unreadCount: 0 });
        // awaited: once whatsapp-web.js's sendSeen returns, the emulator has the receipt
        await post('seen', { clientId: clientId(), chatId: (chat.get('id') as Wid)._serialized });
      },
    },
  };
}
