/**
 * The two kinds of OutgoingMedia: bytes already spooled (an upload, base64), and a URL fetched on the first
 * load(), so that a replayed Idempotency-Key never fetches. discard() removes whatever file is still in the
 * spool: after the sender moved the file on, there is nothing left to remove.
 */
import type { SpooledMedia } from '../media/spooled-media.js';
import type { OutgoingMedia } from './outgoing-message.js';

export interface MediaOptions {
  caption?: string | undefined;
  asDocument: boolean;
  asVoice: boolean;
  asSticker: boolean;
}

type Remove = (media: SpooledMedia) => Promise<void>;

const withOptions = (options: MediaOptions): Omit<OutgoingMedia, 'load' | 'discard'> => ({
  ...(options.caption === undefined ? {} : { caption: options.caption }),
  asDocument: options.asDocument,
  asVoice: options.asVoice,
  asSticker: options.asSticker,
});

export function spooledMedia(media: SpooledMedia, options: MediaOptions, remove: Remove): OutgoingMedia {
  return { ...withOptions(options), load: () => Promise.resolve(media), discard: () => remove(media) };
}

/** `fetch` runs once, on the first load(); discard() cancels it if it is still running. */
export function fetchedMedia(fetch: (signal: AbortSignal) => Promise<SpooledMedia>, options: MediaOptions, remove: Remove): OutgoingMedia {
  const cancel = new AbortController();
  let loading: Promise<SpooledMedia> | undefined;
  let discarded = false;
  return {
    ...withOptions(options),
    load() {
      if (discarded) return Promise.reject(new Error('the media was discarded before it was loaded'));
      loading ??= fetch(cancel.signal).then(async (media) => {
        // Discarded while it was fetched: its file must not outlive this.
        if (discarded) {
          await remove(media);
          throw new Error('the media was discarded while it was loaded');
        }
        return media;
      });
      return loading;
    },
    async discard() {
      discarded = true;
      cancel.abort();
      if (loading !== undefined) await loading.then(remove, () => undefined);
    },
  };
}
