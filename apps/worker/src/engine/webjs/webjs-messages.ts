/**
 * What a ready webjs session does with messages beyond sending text: media out and in, replies, reactions,
 * read receipts, the number check and screenshots, each mapped onto whatsapp-web.js 1.34.7 and its failures
 * onto coded errors. The engine (webjs-engine.ts) checks the session is ready and hands over its client.
 *
 * whatsapp-web.js's own defaults are overridden where they would hide a failure: a reply whose quoted message
 * is unknown is refused (`ignoreQuoteErrors: false`) instead of going out silently without its quote.
 */
import { readFile, writeFile } from 'node:fs/promises';
import wwebjs from 'whatsapp-web.js';
import { WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { MediaInfo, SentMessage } from '@wsm/ipc-protocol';
import { WorkerError } from '../../errors.js';
import type { MediaToSend, SendOptions } from '../engine.js';

type WebjsClient = InstanceType<typeof wwebjs.Client>;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** whatsapp-web.js's refusal of an unknown quoted message (Client.sendMessage with ignoreQuoteErrors: false). */
const QUOTE_FAILED = /Could not get the quoted message/;

function replyOptions(options: SendOptions): wwebjs.MessageSendOptions {
  return options.replyTo === undefined ? {} : { quotedMessageId: options.replyTo, ignoreQuoteErrors: false };
}

function sentOf(message: wwebjs.Message, to: string): SentMessage {
  return {
    id: message.id._serialized,
    to,
    timestamp: message.timestamp || nowSeconds(),
    type: String(message.type),
  };
}

async function sending(options: SendOptions, send: () => Promise<wwebjs.Message>, media?: MediaToSend): Promise<wwebjs.Message> {
  try {
    return await send();
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (options.replyTo !== undefined && QUOTE_FAILED.test(text)) {
      throw new WorkerError(WorkerErrorCode.MESSAGE_NOT_FOUND, `replyTo '${options.replyTo}' is not a message this session knows`);
    }
    if (media !== undefined) {
      // WhatsApp Web prepares media in the page (probing images, video and audio with the browser's decoders)
      // and fails from its minified code ("Evaluation failed: ..."); nothing was sent.
      throw new WorkerError(
        WorkerErrorCode.MEDIA_REJECTED,
        `WhatsApp Web could not send this ${media.mimetype} (${text.split('\n')[0]?.slice(0, 512)}); a format Chromium cannot play ` +
          '(HEVC video, QuickTime .mov) fails here: send it with asDocument, or convert it to H.264/AAC MP4',
        { cause: error },
      );
    }
    throw error;
  }
}

export async function sendText(client: WebjsClient, to: string, text: string, options: SendOptions): Promise<SentMessage> {
  return sentOf(await sending(options, () => client.sendMessage(to, text, replyOptions(options))), to);
}

export async function sendMedia(client: WebjsClient, to: string, media: MediaToSend, options: SendOptions): Promise<SentMessage> {
  // whatsapp-web.js takes the bytes as one base64 string (they cross into the page in one CDP message).
  const data = (await readFile(media.path)).toString('base64');
  const payload = new wwebjs.MessageMedia(media.mimetype, data, media.filename, media.size);
  const sendOptions: wwebjs.MessageSendOptions = {
    ...replyOptions(options),
    ...(media.caption === undefined ? {} : { caption: media.caption }),
    sendMediaAsDocument: media.asDocument,
    sendAudioAsVoice: media.asVoice,
    sendMediaAsSticker: media.asSticker,
  };
  return sentOf(await sending(options, () => client.sendMessage(to, payload, sendOptions), media), to);
}

async function messageById(client: WebjsClient, id: string): Promise<wwebjs.Message> {
  const message = await client.getMessageById(id);
  if (!message) throw new WorkerError(WorkerErrorCode.MESSAGE_NOT_FOUND, `no message '${id}' in this session's WhatsApp Web`);
  return message;
}

export async function downloadMedia(client: WebjsClient, id: string, path: string): Promise<MediaInfo> {
  const message = await messageById(client, id);
  if (!message.hasMedia) throw new WorkerError(WorkerErrorCode.MEDIA_NOT_FOUND, `message '${id}' has no media`);
  // undefined, never an error, when the phone no longer has the media (whatsapp-web.js's Message.downloadMedia).
  const media = await message.downloadMedia();
  if (!media) {
    throw new WorkerError(WorkerErrorCode.MEDIA_EXPIRED, `WhatsApp no longer has the media of message '${id}' (expired or deleted on the phone)`);
  }
  const bytes = Buffer.from(media.data, 'base64');
  await writeFile(path, bytes, { flag: 'wx', mode: 0o600 });
  return { mimetype: media.mimetype, filename: media.filename ?? null, size: bytes.length };
}

export async function react(client: WebjsClient, id: string, emoji: string): Promise<void> {
  await (await messageById(client, id)).react(emoji);
}

export async function markRead(client: WebjsClient, chatId: string): Promise<void> {
  await client.sendSeen(chatId);
}

export async function checkNumber(client: WebjsClient, phone: string): Promise<{ exists: boolean; id: string | null }> {
  const wid = await client.getNumberId(phone.replace(/^\+/, ''));
  return wid ? { exists: true, id: wid._serialized } : { exists: false, id: null };
}

export async function screenshot(client: WebjsClient): Promise<Buffer> {
  const page = client.pupPage;
  if (!page) throw new WorkerError(WorkerErrorCode.SESSION_NOT_READY, 'WhatsApp Web has no page yet');
  return Buffer.from(await page.screenshot({ type: 'png' }));
}

/** The media of an inbound message as whatsapp-web.js knows it before download (msg._data). */
export function mediaOf(message: wwebjs.Message): MediaInfo | null {
  if (!message.hasMedia) return null;
  const data = (message as unknown as { _data?: { mimetype?: string; filename?: string; size?: number } })._data ?? {};
  return {
    mimetype: data.mimetype ?? 'application/octet-stream',
    filename: data.filename ?? null,
    size: Number.isInteger(data.size) && (data.size as number) >= 0 ? (data.size as number) : 0,
  };
}

/** The id of the message an inbound one quotes, or null. One page round trip, only for replies. */
export async function quotedIdOf(message: wwebjs.Message): Promise<string | null> {
  if (!message.hasQuotedMsg) return null;
  const quoted = await message.getQuotedMessage().catch(() => undefined);
  return quoted?.id?._serialized ?? null;
}
