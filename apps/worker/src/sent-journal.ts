/**
 * The worker's record of messages sent under an idempotency key, one JSON line per send, fsynced before the
 * reply leaves. If the supervisor crashes (or the worker is killed) after a send but before the supervisor
 * stored its result, the retried command finds the key here and sends nothing again. Entries older than a
 * day are dropped when the journal is loaded, and the file is rewritten without them.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SentMessage } from '@wsm/ipc-protocol';
import { writeFileAtomic } from './fs-atomic.js';

const KEEP_MS = 24 * 3_600_000;

interface Entry {
  key: string;
  at: number;
  result: SentMessage;
}

export class SentJournal {
  readonly #path: string;
  #entries: Promise<Map<string, Entry>> | undefined;
  /** Sends under way: a retry that arrives before the first one finished waits for it instead of sending. */
  readonly #running = new Map<string, Promise<SentMessage>>();

  constructor(path: string) {
    this.#path = path;
  }

  /** The result sent under `key` earlier (or being sent now), else `send()`'s, recorded under `key`. */
  async once(key: string, send: () => Promise<SentMessage>): Promise<SentMessage> {
    const running = this.#running.get(key);
    if (running !== undefined) return running;
    const attempt = (async () => {
      const earlier = (await this.#load()).get(key)?.result;
      if (earlier !== undefined) return earlier;
      const sent = await send();
      await this.#add(key, sent);
      return sent;
    })().finally(() => this.#running.delete(key));
    this.#running.set(key, attempt);
    return attempt;
  }

  async #add(key: string, result: SentMessage): Promise<void> {
    const entries = await this.#load();
    const entry: Entry = { key, at: Date.now(), result };
    await mkdir(dirname(this.#path), { recursive: true });
    const handle = await open(this.#path, 'a', 0o600);
    try {
      await handle.appendFile(`${JSON.stringify(entry)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    entries.set(key, entry);
  }

  /** Loaded once; concurrent first calls share the same load. */
  #load(): Promise<Map<string, Entry>> {
    this.#entries ??= this.#read();
    return this.#entries;
  }

  async #read(): Promise<Map<string, Entry>> {
    const entries = new Map<string, Entry>();
    let text = '';
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const cutoff = Date.now() - KEEP_MS;
    let dropped = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const entry = JSON.parse(line) as Entry;
        // Written before sent messages carried their type: they were all texts.
        entry.result.type ??= 'chat';
        if (entry.at >= cutoff) entries.set(entry.key, entry);
        else dropped++;
      } catch {
        dropped++; // a line torn by a kill mid-write
      }
    }
    if (dropped > 0) {
      await writeFileAtomic(this.#path, [...entries.values()].map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    }
    return entries;
  }
}
