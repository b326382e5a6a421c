/**
 * The WhatsApp side of the simulated engine's messages: which ids exist (so replies, reactions and revokes to
 * an unknown message fail as on WhatsApp) and the bytes of every media message, sent or received.
 *
 * Media lives under `<sessionDir>/simulated/media/`, one `<key>.bin` and one `<key>.json` per message, so a
 * restarted worker still serves it, as WhatsApp's servers keep media for a while. Ids of texts are remembered
 * in memory only, the most recent MAX_REMEMBERED: a reply to a text from before a restart is refused, which
 * tests can rely on as "unknown message".
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { MediaInfo } from '@wsm/ipc-protocol';
import { WorkerError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';

const MAX_REMEMBERED = 10_000;

export interface SimulatedMedia {
  path: string;
  mimetype: string;
  filename: string | null;
  size: number;
}

interface Stored {
  id: string;
  chat: string;
  media: MediaInfo | null;
}

const keyOf = (id: string): string => createHash('sha256').update(id).digest('hex').slice(0, 40);

export class SimulatedMessages {
  readonly #dir: string;
  /** id → chat, insertion-ordered so the oldest is dropped first. */
  readonly #recent = new Map<string, string>();

  constructor(sessionDir: string) {
    this.#dir = join(sessionDir, 'simulated', 'media');
  }

  /** Records a message; with media, its bytes are copied (the "upload") before the message exists. */
  async add(id: string, chat: string, media?: SimulatedMedia): Promise<MediaInfo | null> {
    let info: MediaInfo | null = null;
    if (media !== undefined) {
      info = { mimetype: media.mimetype, filename: media.filename, size: media.size };
      const key = keyOf(id);
      await mkdir(this.#dir, { recursive: true });
      await copyFile(media.path, join(this.#dir, `${key}.bin`));
      await writeFileAtomic(join(this.#dir, `${key}.json`), JSON.stringify({ id, chat, media: info } satisfies Stored));
    }
    this.#recent.set(id, chat);
    if (this.#recent.size > MAX_REMEMBERED) this.#recent.delete(this.#recent.keys().next().value as string);
    return info;
  }

  /** The chat of a known message; WSM_MESSAGE_NOT_FOUND otherwise. */
  async chatOf(id: string): Promise<string> {
    const chat = this.#recent.get(id) ?? (await this.#stored(id))?.chat;
    if (chat === undefined) throw new WorkerError(WorkerErrorCode.MESSAGE_NOT_FOUND, `no message '${id}' in this session`);
    return chat;
  }

  async download(id: string, path: string): Promise<MediaInfo> {
    const stored = await this.#stored(id);
    if (stored === undefined) {
      await this.chatOf(id); // WSM_MESSAGE_NOT_FOUND for an unknown id; a known one is a text
      throw new WorkerError(WorkerErrorCode.MEDIA_NOT_FOUND, `message '${id}' has no media`);
    }
    if (stored.media === null) throw new WorkerError(WorkerErrorCode.MEDIA_NOT_FOUND, `message '${id}' has no media`);
    // COPYFILE_EXCL: the supervisor names a new file; overwriting one would mean two downloads raced.
    await copyFile(join(this.#dir, `${keyOf(id)}.bin`), path, constants.COPYFILE_EXCL);
    return stored.media;
  }

  /** Revoked for everyone: the message is gone, its media with it. */
  async revoke(id: string): Promise<void> {
    await this.chatOf(id);
    this.#recent.delete(id);
    const key = keyOf(id);
    await rm(join(this.#dir, `${key}.json`), { force: true });
    await rm(join(this.#dir, `${key}.bin`), { force: true });
  }

  async #stored(id: string): Promise<Stored | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#dir, `${keyOf(id)}.json`), 'utf8')) as Stored;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
