/**
 * WhatsApp's type for media a session sends, by its mimetype and the sender's choices; whatsapp-web.js's names.
 * The simulated engine applies it as WhatsApp Web's own preparation does (a sticker or a document when asked,
 * a voice note for audio sent as voice, otherwise by the mimetype's family); webjs reads the type WhatsApp chose.
 */
export type MediaChoice = { asDocument: boolean; asVoice: boolean; asSticker: boolean };

export function mediaType(mimetype: string, choice: MediaChoice): 'image' | 'video' | 'audio' | 'ptt' | 'document' | 'sticker' {
  const family = mimetype.split('/')[0];
  if (choice.asDocument) return 'document';
  if (choice.asSticker && family === 'image') return 'sticker';
  if (family === 'image') return 'image';
  if (family === 'video') return 'video';
  if (family === 'audio') return choice.asVoice ? 'ptt' : 'audio';
  return 'document';
}
