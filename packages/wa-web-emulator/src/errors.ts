/** Every error the emulator raises, coded, with the HTTP status its control API answers with. */
export class EmulatorError extends Error {
  readonly code: string;
  readonly statusCode: number;

  constructor(code: string, message: string, statusCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

const coded =
  <A extends unknown[]>(code: string, statusCode: number, message: (...args: A) => string) =>
  (...args: A): EmulatorError =>
    new EmulatorError(code, message(...args), statusCode);

export const errors = {
  badRequest: coded('WAE_BAD_REQUEST', 400, (detail: string) => detail),
  unknownQr: coded('WAE_QR_NOT_SHOWN', 404, (qr: string) => `no client is showing the QR "${qr.slice(0, 40)}…" (it may have been refreshed, or the client is paired)`),
  unknownCode: coded('WAE_CODE_NOT_FOUND', 404, (code: string) => `no client requested the pairing code "${code}"`),
  notConnected: coded('WAE_NOT_CONNECTED', 409, (wid: string) => `no connected client is paired as ${wid}`),
  noDevice: coded('WAE_NO_DEVICE', 404, (wid: string) => `no device is linked to ${wid}`),
  unknownClient: coded('WAE_CLIENT_NOT_FOUND', 404, (clientId: string) => `no page with client id ${clientId}`),
  notUnpaired: coded('WAE_CLIENT_PAIRED', 409, (clientId: string) => `client ${clientId} is already paired`),
  pageFailed: coded('WAE_PAGE_FAILED', 502, (what: string, reason: string) => `the page failed to ${what}: ${reason}`),
  pageTimeout: coded('WAE_PAGE_TIMEOUT', 504, (what: string, ms: number) => `the page did not confirm ${what} within ${ms} ms`),
  pageGone: coded('WAE_PAGE_GONE', 410, (clientId: string) => `the page of client ${clientId} went away`),
  timeout: coded('WAE_TIMEOUT', 504, (what: string, ms: number) => `timed out after ${ms} ms waiting for ${what}`),
  unknownMessage: coded('WAE_MESSAGE_NOT_FOUND', 404, (where: string, id: string) => `${where} has no message ${id} the emulator carried`),
  notRevocable: coded('WAE_NOT_REVOCABLE', 409, (id: string) => `${id} was sent by the account itself: only its sender's client can delete it for everyone`),
  closed: coded('WAE_CLOSED', 503, () => 'the emulator is closed'),
  mediaTooLarge: coded('WAE_MEDIA_TOO_LARGE', 413, (maxBytes: number) => `media larger than ${maxBytes} bytes is refused (the emulator keeps media in memory)`),
  // 404 for both: whatsapp-web.js's downloadMedia() reads a 404 as media the phone no longer has
  mediaNotFound: coded('WAE_MEDIA_NOT_FOUND', 404, (what: string) => `no media at ${what}`),
  mediaExpired: coded('WAE_MEDIA_EXPIRED', 404, (what: string) => `the media at ${what} has expired`),
  noMediaMessage: coded('WAE_MEDIA_MESSAGE_NOT_FOUND', 404, (wid: string, id: string) => `${wid} has no media message ${id}`),
};
