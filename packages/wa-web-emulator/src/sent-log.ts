/** Every message the pages sent, in order, with a way to wait for one. */
import { EventEmitter } from 'node:events';
import type { SentMediaFields } from './media-messages.js';
import { waitFor } from './wait-for.js';

/** A text (`type` chat, media fields null) or a media message (see media-messages.ts). */
export interface SentRecord extends SentMediaFields {
  /** The message's serialized key (`true_<to>_<id>`), the `id._serialized` whatsapp-web.js returns. */
  id: string;
  from: string;
  to: string;
  body: string;
  /** Seconds since the epoch, as WhatsApp stamps messages. */
  timestamp: number;
  /** Set on a reply: the serialized key of the message it quotes. */
  quotedId?: string;
}

export class SentLog extends EventEmitter {
  readonly #records: SentRecord[] = [];

  add(record: SentRecord): void {
    this.#records.push(record);
    this.emit('sent', record);
  }

  has(id: string): boolean {
    return this.#records.some((record) => record.id === id);
  }

  all(): SentRecord[] {
    return this.#records.map((record) => ({ ...record }));
  }

  waitFor(predicate: (record: SentRecord) => boolean, timeoutMs: number): Promise<SentRecord> {
    return waitFor(this, 'sent', () => this.#records.find(predicate), 'a sent message that matches', timeoutMs);
  }
}
