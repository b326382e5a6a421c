/**
 * WhatsApp Web's message key: `fromMe`, the chat (`remote`), the id, and `_serialized`
 * (`<fromMe>_<remote>_<id>`), built the way whatsapp-web.js does (`new MsgKey({ from, to, id, selfDir })`).
 */
import { randomHex } from './random.js';
import { createWid, type Wid, type WidLike } from './wid.js';

export interface MsgKeyInit {
  id: string;
  fromMe?: boolean;
  remote?: string | WidLike;
  from?: string | WidLike | null;
  to?: string | WidLike;
  participant?: string | WidLike | null;
  selfDir?: 'in' | 'out';
}

export class MsgKey {
  readonly fromMe: boolean;
  readonly remote: Wid;
  readonly id: string;
  readonly participant: Wid | undefined;
  readonly _serialized: string;

  constructor(init: MsgKeyInit) {
    this.fromMe = init.fromMe ?? init.selfDir === 'out';
    const remote = init.remote ?? (this.fromMe ? init.to : init.from);
    if (remote === undefined || remote === null) throw new Error('a message key needs its chat');
    this.remote = createWid(remote);
    this.id = init.id;
    this.participant = init.participant ? createWid(init.participant) : undefined;
    const suffix = this.participant ? `_${this.participant._serialized}` : '';
    this._serialized = `${this.fromMe}_${this.remote._serialized}_${this.id}${suffix}`;
  }

  toString(): string {
    return this._serialized;
  }

  /** A web client's message id: `3EB0` and hex, 22 characters (whatsapp-web.js reads that as deviceType web). */
  static async newId(): Promise<string> {
    return `3EB0${randomHex(9)}`;
  }
}
