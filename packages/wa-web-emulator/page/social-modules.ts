/**
 * The modules for replies, reactions, deleting, read receipts and the number check (each in its own file),
 * and the server's social commands carried out. `clientId` names this page in its reports.
 */
import { numberCheckModules } from './number-check.js';
import { reactionModules, applyInboundReaction } from './reactions.js';
import { readReceiptModules } from './read-receipts.js';
import { quotedMsgObj } from './replies.js';
import { applyInboundRevoke, revokeModules } from './revokes.js';
import type { SocialCommand } from './social-protocol.js';
import type { MsgModel, Stores } from './stores.js';

export function buildSocialModules(stores: Stores, clientId: () => string): Record<string, unknown> {
  return {
    WAWebQuotedMsgModelUtils: { getQuotedMsgObj: (msg: MsgModel) => quotedMsgObj(stores, msg) },
    ...reactionModules(stores, clientId),
    ...revokeModules(stores, clientId),
    ...readReceiptModules(clientId),
    ...numberCheckModules(),
  };
}

export async function carryOutSocial(stores: Stores, command: SocialCommand): Promise<void> {
  switch (command.type) {
    case 'reaction':
      await applyInboundReaction(stores, command.reaction);
      return;
    case 'revoke':
      applyInboundRevoke(stores, command.serialized);
      return;
  }
}
