/**
 * Cluster mode: keeps each session's pairing in the database while this node runs it, and brings it to this
 * machine before a session taken over starts (auth-state-store.ts says when, and why). Saves are fenced by the
 * node's lease and skipped when unchanged; a save that fails is logged and tried again at the next occasion:
 * the last snapshot saved stays valid meanwhile.
 */
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { EngineName } from '@wsm/ipc-protocol';
import type { Fence } from '../store/fence.js';
import { packAuthState, unpackAuthState } from './auth-snapshot.js';
import type { AuthStateStore } from './auth-state-store.js';

export interface AuthStateKeeperOptions {
  store: AuthStateStore;
  sessionDir: (sessionId: string) => string;
  engineOf: (sessionId: string) => EngineName | undefined;
  fenceOf: (sessionId: string) => Fence | undefined;
  log: Logger;
  maxBytes: number;
}

export class AuthStateKeeper {
  readonly #options: AuthStateKeeperOptions;
  /** Sessions that have been `ready` under this node: only their profiles hold a pairing worth keeping. */
  readonly #paired = new Set<string>();
  /** One save at a time per session. */
  readonly #saving = new Map<string, Promise<void>>();

  constructor(options: AuthStateKeeperOptions) {
    this.#options = options;
  }

  /**
   * Before a taken-over session's worker starts: whatever this disk kept of the session (an earlier ownership's
   * profile, send journal, caches: possibly of a session since deleted and re-created, or logged out) goes,
   * and its saved pairing, if any, comes from the database, the only truth in a cluster.
   */
  async restore(sessionId: string): Promise<void> {
    const engine = this.#options.engineOf(sessionId);
    if (engine === undefined) return;
    const stored = await this.#options.store.load(sessionId);
    this.#paired.delete(sessionId);
    await rm(this.#options.sessionDir(sessionId), { recursive: true, force: true });
    if (stored === undefined) return;
    const restored = await unpackAuthState(stored.data, this.#options.sessionDir(sessionId), engine, {
      sha256: stored.sha256,
      maxBytes: this.#options.maxBytes,
    });
    this.#options.log.info({ sessionId, bytes: restored.bytes, files: restored.files, savedAtEpoch: stored.epoch }, 'restored the saved pairing');
  }

  /** The session is `ready`: from now on its pairing is saved. */
  ready(sessionId: string): Promise<void> {
    this.#paired.add(sessionId);
    return this.save(sessionId);
  }

  /** Saves the session's pairing if it has one and it changed (a live copy while the browser runs). */
  save(sessionId: string): Promise<void> {
    if (!this.#paired.has(sessionId)) return Promise.resolve();
    const previous = this.#saving.get(sessionId) ?? Promise.resolve();
    const next = previous.then(() => this.#save(sessionId));
    this.#saving.set(sessionId, next);
    void next.finally(() => {
      if (this.#saving.get(sessionId) === next) this.#saving.delete(sessionId);
    });
    return next;
  }

  /** Every paired session this node runs: the periodic save. */
  async saveAll(sessionIds: Iterable<string>): Promise<void> {
    for (const sessionId of sessionIds) await this.save(sessionId);
  }

  /** Logged out: the pairing is gone for good, on every node. */
  async forget(sessionId: string): Promise<void> {
    this.#paired.delete(sessionId);
    await this.#saving.get(sessionId);
    const outcome = await this.#options.store.delete(sessionId, this.#options.fenceOf(sessionId));
    if (outcome === 'fenced') this.#options.log.warn({ sessionId }, 'did not delete the saved pairing: the session is held elsewhere');
  }

  /** The session no longer runs here (its last save done). */
  drop(sessionId: string): void {
    this.#paired.delete(sessionId);
  }

  async #save(sessionId: string): Promise<void> {
    const fence = this.#options.fenceOf(sessionId);
    const engine = this.#options.engineOf(sessionId);
    if (fence === undefined || engine === undefined) return;
    try {
      const snapshot = await packAuthState(this.#options.sessionDir(sessionId), engine, { maxBytes: this.#options.maxBytes });
      if (snapshot === undefined) return;
      const outcome = await this.#options.store.save(sessionId, snapshot, fence);
      if (outcome === 'saved') this.#options.log.debug({ sessionId, bytes: snapshot.bytes, packed: snapshot.data.length }, 'saved the pairing');
      if (outcome === 'fenced') this.#options.log.warn({ sessionId }, 'did not save the pairing: this node no longer holds the session');
    } catch (error) {
      this.#options.log.error({ err: error, sessionId }, 'could not save the pairing; the last saved one stays');
    }
  }
}
