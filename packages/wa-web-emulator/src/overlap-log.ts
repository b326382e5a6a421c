/**
 * Every time one paired device was connected from two places at once: a page came online as a device while
 * another page was still online as that same device. Real WhatsApp allows a linked device one connection;
 * the second replaces the first with a "conflict", and doing it repeatedly can log the account out. Cluster
 * tests count these to prove that a session never runs in two workers at the same time.
 */
import { EventEmitter } from 'node:events';
import { waitFor } from './wait-for.js';

export interface Overlap {
  /** The account the device is linked to. */
  wid: string;
  /** Names the paired device (derived from its token, which is a credential and never shown). */
  device: string;
  /** The page that was online first, and was displaced. */
  firstClientId: string;
  /** The page that came online while the first still was. */
  secondClientId: string;
  /** ISO 8601, when the second came online. */
  at: string;
}

export class OverlapLog extends EventEmitter {
  readonly #records: Overlap[] = [];

  add(record: Overlap): void {
    this.#records.push(record);
    this.emit('overlap', record);
  }

  all(): Overlap[] {
    return this.#records.map((record) => ({ ...record }));
  }

  get count(): number {
    return this.#records.length;
  }

  waitFor(predicate: (record: Overlap) => boolean, timeoutMs: number): Promise<Overlap> {
    return waitFor(this, 'overlap', () => this.#records.find(predicate), 'an overlap that matches', timeoutMs);
  }
}
