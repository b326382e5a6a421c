/**
 * The HTTP side of social.ts: the page's reports (reactions, revokes and read receipts it made, number
 * checks it asks) and the control calls (`GET reactions|revoked|seen`, `POST react|revoke`). Spread into
 * page-routes.ts's and control-routes.ts's tables.
 */
import type { SocialPageOps } from '../page/social-protocol.js';
import type { Emulation } from './emulation.js';
import { optionalText, text, type Body } from './http-io.js';

type Handler = (emulation: Emulation, body: Body) => unknown;

export const SOCIAL_PAGE_OPS: { [K in keyof SocialPageOps]: Handler } = {
  reacted: (emulation, body) => emulation.social.reacted({ clientId: text(body, 'clientId'), msgId: text(body, 'msgId'), emoji: text(body, 'emoji') }),
  revoked: (emulation, body) => emulation.social.revoked({ clientId: text(body, 'clientId'), id: text(body, 'id') }),
  seen: (emulation, body) => emulation.social.markedSeen({ clientId: text(body, 'clientId'), chatId: text(body, 'chatId') }),
  'query-exists': (emulation, body) => emulation.social.queryExists({ wid: text(body, 'wid') }),
};

export const SOCIAL_GET: Record<string, (emulation: Emulation) => unknown> = {
  reactions: (emulation) => emulation.social.reactions.all(),
  revoked: (emulation) => emulation.social.revokes.all(),
  seen: (emulation) => emulation.social.seen.all(),
};

export const SOCIAL_POST: Record<string, Handler> = {
  react: async (emulation, body) => {
    const from = optionalText(body, 'from');
    await emulation.react(text(body, 'to'), { id: text(body, 'id'), emoji: text(body, 'emoji'), ...(from === undefined ? {} : { from }) });
    return {};
  },
  revoke: async (emulation, body) => {
    await emulation.revoke(text(body, 'to'), text(body, 'id'));
    return {};
  },
};
