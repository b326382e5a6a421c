/**
 * WhatsApp ids (`15550001111@c.us`, `...@g.us`, `...@lid`, `status@broadcast`) as WhatsApp Web's `Wid`:
 * plain own fields (so they cross into Node as `{ server, user, _serialized }`) and the predicates
 * whatsapp-web.js calls.
 */
export interface WidLike {
  _serialized: string;
}

export class Wid {
  readonly server: string;
  readonly user: string;
  readonly _serialized: string;

  constructor(serialized: string) {
    const at = serialized.lastIndexOf('@');
    if (at <= 0) throw new Error(`invalid wid "${serialized}"`);
    this.user = serialized.slice(0, at);
    this.server = serialized.slice(at + 1);
    this._serialized = serialized;
  }

  isUser(): boolean {
    return this.server === 'c.us' || this.server === 'lid';
  }

  isLid(): boolean {
    return this.server === 'lid';
  }

  isGroup(): boolean {
    return this.server === 'g.us';
  }

  isStatus(): boolean {
    return this._serialized === 'status@broadcast';
  }

  isBroadcast(): boolean {
    return this.server === 'broadcast';
  }

  isNewsletter(): boolean {
    return this.server === 'newsletter';
  }

  equals(other: unknown): boolean {
    return other !== null && typeof other === 'object' && (other as WidLike)._serialized === this._serialized;
  }

  toString(): string {
    return this._serialized;
  }

  toJid(): string {
    return this.server === 'c.us' ? `${this.user}@s.whatsapp.net` : this._serialized;
  }
}

export function createWid(value: string | WidLike): Wid {
  if (value instanceof Wid) return value;
  const serialized = typeof value === 'string' ? value : value._serialized;
  // like WhatsApp Web, a bare phone number means a user id
  return new Wid(serialized.includes('@') ? serialized : `${serialized}@c.us`);
}
