/**
 * The bytes of messages' media, kept on this node under `<DATA_DIR>/media/<sessionId>/`: `<key>.bin` and its
 * description `<key>.json` (written second, so an entry with both is complete). They come from two places:
 *
 *   - a sent message's spool file, moved in once the send succeeded (no copy, no second read);
 *   - an inbound message's media, downloaded through the session's worker as soon as it is received (so it
 *     survives the worker, the browser and the phone deleting it), or on demand when asked for and not here.
 *
 * Entries older than MEDIA_RETENTION_HOURS go, and the oldest first while the store is over MEDIA_STORE_MAX_BYTES
 * (prune()). A deleted session's media goes with it; a logout keeps it (the messages were received).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MediaInfo } from '@wsm/ipc-protocol';
import type { SpooledMedia } from './spooled-media.js';

export interface StoredMedia extends MediaInfo {
  /** Absolute path of the bytes. */
  path: string;
  storedAt: number;
}

/** Fetches a message's media into `path` (a new file) through the session's worker. */
export type MediaDownloader = (messageId: string, path: string) => Promise<MediaInfo>;

export interface MediaStoreOptions {
  /** `<DATA_DIR>/media` */
  root: string;
  retentionMs: number;
  maxBytes: number;
  log: Logger;
}

const keyOf = (messageId: string): string => createHash('sha256').update(messageId).digest('hex').slice(0, 40);

export class MediaStore {
  readonly #options: MediaStoreOptions;
  /** Downloads under way, by session and message: a second request waits for the first. */
  readonly #downloads = new Map<string, Promise<StoredMedia>>();

  constructor(options: MediaStoreOptions) {
    this.#options = options;
  }

  /** Moves a sent message's spool file in; the spool file is gone afterwards either way. */
  async adopt(sessionId: string, messageId: string, media: SpooledMedia): Promise<void> {
    const dir = await this.#dir(sessionId);
    const key = keyOf(messageId);
    try {
      await rename(media.path, join(dir, `${key}.bin`));
      await this.#describe(dir, key, messageId, { mimetype: media.mimetype, filename: media.filename, size: media.size });
    } catch (error) {
      await rm(media.path, { force: true });
      throw error;
    }
  }

  /** The stored media of a message, or undefined. */
  async get(sessionId: string, messageId: string): Promise<StoredMedia | undefined> {
    const dir = join(this.#options.root, sessionId);
    const key = keyOf(messageId);
    let described: StoredMedia;
    try {
      described = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as StoredMedia;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return { ...described, path: join(dir, `${key}.bin`) };
  }

  /**
   * The media of a message: stored, or downloaded now through `download` (one download per message at a time).
   * The worker's errors (message or media not found, expired) pass through.
   */
  async fetch(sessionId: string, messageId: string, download: MediaDownloader): Promise<StoredMedia> {
    const slot = `${sessionId}\u0000${messageId}`;
    const running = this.#downloads.get(slot);
    if (running !== undefined) return running;
    const attempt = (async () => (await this.get(sessionId, messageId)) ?? this.#download(sessionId, messageId, download))().finally(() =>
      this.#downloads.delete(slot),
    );
    this.#downloads.set(slot, attempt);
    return attempt;
  }

  /** Downloads an inbound message's media in the background; a failure is logged (the route can try again). */
  prefetch(sessionId: string, messageId: string, download: MediaDownloader): void {
    this.fetch(sessionId, messageId, download).catch((error: unknown) =>
      this.#options.log.warn({ sessionId, messageId, err: error }, 'could not download the media of a received message; it is fetched again when asked for'),
    );
  }

  /** A deleted session's media. */
  async forget(sessionId: string): Promise<void> {
    await rm(join(this.#options.root, sessionId), { recursive: true, force: true });
  }

  /**
   * Removes media stored before `now - retention`, then the oldest until the store fits MEDIA_STORE_MAX_BYTES,
   * and leftovers of downloads a crash interrupted. Answers how many entries went.
   */
  async prune(now = Date.now()): Promise<number> {
    const entries: Array<{ dir: string; key: string; size: number; storedAt: number }> = [];
    for (const sessionId of await readdir(this.#options.root).catch(() => [] as string[])) {
      const dir = join(this.#options.root, sessionId);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith('.tmp-')) {
          // A download in progress has a live promise; only files older than a day are a crash's leftovers.
          const age = now - (await stat(join(dir, name)).catch(() => ({ mtimeMs: now }))).mtimeMs;
          if (age > 86_400_000) await rm(join(dir, name), { force: true });
          continue;
        }
        if (!name.endsWith('.json')) continue;
        const key = name.slice(0, -'.json'.length);
        const described = await readFile(join(dir, name), 'utf8').then((text) => JSON.parse(text) as StoredMedia, () => undefined);
        if (described !== undefined) entries.push({ dir, key, size: described.size, storedAt: described.storedAt });
      }
    }
    entries.sort((a, b) => a.storedAt - b.storedAt);
    let total = entries.reduce((sum, entry) => sum + entry.size, 0);
    let removed = 0;
    for (const entry of entries) {
      if (entry.storedAt >= now - this.#options.retentionMs && total <= this.#options.maxBytes) break;
      // Description first: without it the entry is not found, whatever happens to the bytes after.
      await rm(join(entry.dir, `${entry.key}.json`), { force: true });
      await rm(join(entry.dir, `${entry.key}.bin`), { force: true });
      total -= entry.size;
      removed++;
    }
    return removed;
  }

  async #download(sessionId: string, messageId: string, download: MediaDownloader): Promise<StoredMedia> {
    const dir = await this.#dir(sessionId);
    const key = keyOf(messageId);
    const temp = join(dir, `.tmp-${randomUUID()}`);
    try {
      const info = await download(messageId, temp);
      await rename(temp, join(dir, `${key}.bin`));
      return await this.#describe(dir, key, messageId, info);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async #describe(dir: string, key: string, messageId: string, info: MediaInfo): Promise<StoredMedia> {
    const storedAt = Date.now();
    // Renamed into place: a reader sees no description or a whole one. Not fsynced: this is a cache, and an
    // entry a power cut loses is downloaded again.
    const temp = join(dir, `.tmp-${randomUUID()}`);
    await writeFile(temp, JSON.stringify({ messageId, ...info, storedAt }), { mode: 0o600 });
    await rename(temp, join(dir, `${key}.json`));
    return { ...info, path: join(dir, `${key}.bin`), storedAt };
  }

  async #dir(sessionId: string): Promise<string> {
    const dir = join(this.#options.root, sessionId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
}
