/**
 * "Is this number on WhatsApp?": whatsapp-web.js's `getNumberId` and `isRegisteredUser` call
 * `WAWebQueryExistsJob.queryWidExists(wid)` and read `result.wid` (null: not registered). The answer is the
 * emulator server's, which keeps the one registry tests configure.
 */
import { post } from './bridge.js';
import type { QueryExistsReply } from './social-protocol.js';
import { createWid, type Wid } from './wid.js';

export function numberCheckModules(): Record<string, unknown> {
  return {
    WAWebQueryExistsJob: {
      queryWidExists: async (wid: Wid): Promise<{ wid: Wid } | null> => {
        const reply = (await post('query-exists', { wid: wid._serialized })) as QueryExistsReply;
        return reply.wid === null ? null : { wid: createWid(reply.wid) };
      },
    },
  };
}
