/** An offline emulator of WhatsApp Web for whatsapp-web.js driving real Chromium. */
export { startEmulator, type Emulator, type EmulatorOptions } from './emulator.js';
export type { ClientView } from './client-registry.js';
export type { AccountRequest, Behavior, EmulatorStatus } from './emulation.js';
export type { Overlap } from './overlap-log.js';
export type { SentRecord } from './sent-log.js';
export type { Delivery, MediaDelivery, SentMediaFields } from './media-messages.js';
export type { Reaction, ReactionRequest, Revoke, Seen } from './social.js';
export { DEFAULT_WEB_VERSION } from './web-versions.js';
export { EmulatorError } from './errors.js';
export { CONTROL_PREFIX } from './control-routes.js';
