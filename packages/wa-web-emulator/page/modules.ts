/**
 * The WhatsApp Web modules whatsapp-web.js 1.34.7 reaches through `window.require` on its paths for linking
 * (QR and pairing code), ready, events, sending text and contact lookups; replies, reactions, deleting, read
 * receipts and the number check are in social-modules.ts. Each is the smallest object with the members those
 * paths touch; the names and shapes follow whatsapp-web.js's own calls.
 */
import type { KeyMaterial } from './device-keys.js';
import { findLink, findLinks } from './linkify.js';
import { buildMediaModules } from './media-modules.js';
import { addAndSend, type OutboundRecord } from './messages.js';
import type { Model } from './model.js';
import { MsgKey } from './msg-key.js';
import { fromBase64, toBase64 } from './random.js';
import { chatFor, type ChatModel, type Stores } from './stores.js';
import { createWid, type Wid, type WidLike } from './wid.js';

/** What the modules need from the session (the server's side of linking and sending). */
export interface PageActions {
  requestPairingCode(phone: string): Promise<string>;
  qrLinking(): Promise<void>;
  send(record: OutboundRecord): Promise<void>;
}

const idOf = (model: Model): Wid => model.get('id') as Wid;

export function buildModules(stores: Stores, keys: KeyMaterial, actions: PageActions): Record<string, unknown> {
  const { socket, conn, cmd } = stores;
  const isMe = (model: Model): boolean => stores.me()?.equals(idOf(model)) ?? false;

  return {
    // linking and connection state
    WAWebSocketModel: { Socket: socket },
    WAWebConnModel: { Conn: conn },
    WAWebCmd: { Cmd: cmd },
    WAWebStreamModel: { Stream: stores.stream },
    WAWebOfflineHandler: { OfflineMessageHandler: { getOfflineDeliveryProgress: () => 100 } },
    WAWebLaunchSocketUtils: { refreshQR: () => cmd.refreshQR() },
    WAWebAltDeviceLinkingApi: {
      setPairingType: (_type: string) => undefined,
      initializeAltDeviceLinking: async () => undefined,
      startAltLinkingFlow: (phone: string, _showNotification?: boolean) => actions.requestPairingCode(phone),
      initializeQRLinking: () => actions.qrLinking(),
    },
    WABase64: { encodeB64: toBase64, decodeB64: fromBase64 },
    // whatsapp-web.js spreads these four into one `RegistrationUtils` to build the QR
    WAWebCompanionRegClientUtils: { DEVICE_PLATFORM: keys.platform },
    WAWebAdvSignatureApi: {},
    WAWebUserPrefsInfoStore: { waNoiseInfo: { get: async () => ({ staticKeyPair: { pubKey: keys.staticPublic } }) } },
    WAWebSignalStoreApi: {
      waSignalStore: { getRegistrationInfo: async () => ({ identityKeyPair: { pubKey: keys.identityPublic } }) },
    },
    WAWebUserPrefsMultiDevice: { getADVSecretKey: () => keys.advSecret },
    WAWebUserPrefsMeUser: {
      getMaybeMePnUser: () => stores.me(),
      getMaybeMeLidUser: () => null,
      getMeUser: () => {
        const me = stores.me();
        if (me === null) throw new Error('not logged in');
        return me;
      },
    },
    WAWebMiscBrowserUtils: { info: () => ({ name: 'Chrome', version: navigator.appVersion, os: 'Linux' }) },

    // what whatsapp-web.js's ready path and listeners touch
    WAWebCollections: { Msg: stores.msgs, Chat: stores.chats, Contact: stores.contacts, Blocklist: stores.blocklist },
    WAWebSyncGatingUtils: { isPlaceholderMessageResendEnabled: () => false },
    WAWebWidFactory: {
      createWid,
      createWidFromWidLike: (like: WidLike) => createWid(like),
      asUserWidOrThrow: (like: string | WidLike) => {
        const wid = createWid(like);
        if (!wid.isUser()) throw new Error(`${wid._serialized} is not a user`);
        return wid;
      },
    },
    WALinkify: { findLink, findLinks },

    // sending text
    WAWebChatGetters: {
      getIsNewsletter: (chat: ChatModel) => idOf(chat).isNewsletter(),
      getIsBroadcast: (chat: ChatModel) => idOf(chat).isBroadcast(),
      getIsGroup: (chat: ChatModel) => idOf(chat).isGroup(),
    },
    WAWebFindChatAction: {
      findOrCreateLatestChat: async (wid: string | WidLike) => ({ chat: chatFor(stores, createWid(wid)), created: false }),
    },
    WAWebMsgKey: MsgKey,
    WAWebGetEphemeralFieldsMsgActionsUtils: { getEphemeralFields: (_chat: ChatModel) => ({}) },
    WAWebSendMsgChatAction: {
      addAndSendMsgToChat: (chat: ChatModel, attributes: Record<string, unknown>) =>
        addAndSend(stores, chat, attributes, actions.send),
    },

    // contact lookups (getContactById, message.getContact)
    WAWebContactGetters: {
      getIsMe: isMe,
      getIsUser: (contact: Model) => idOf(contact).isUser(),
      getIsGroup: (contact: Model) => idOf(contact).isGroup(),
      getIsWAContact: (contact: Model) => idOf(contact).isUser(),
      getUserid: (contact: Model) => idOf(contact).user,
      getVerifiedName: (_contact: Model) => undefined,
      getVerifiedLevel: (_contact: Model) => undefined,
      getStatusMute: (_contact: Model) => false,
      getName: (contact: Model) => contact.get('name'),
      getShortName: (contact: Model) => contact.get('shortName'),
      getPushname: (contact: Model) => contact.get('pushname'),
      getIsEnterprise: (_contact: Model) => false,
    },
    WAWebFrontendContactGetters: { getIsMyContact: (_contact: Model) => false },
    WAWebApiContact: { getAlternateUserWid: (_wid: Wid) => null },

    // media, sent and received (media-modules.ts)
    ...buildMediaModules(),
  };
}
