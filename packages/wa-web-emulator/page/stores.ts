/**
 * The live state whatsapp-web.js reads and listens to: the socket (`state`, `hasSynced`), the connection
 * (`ref` for the QR, the account), the command bus, and the message, chat and contact collections.
 * Behaviour that needs the server (logout, QR refresh) is plugged in by the session.
 */
import { Emitter } from './emitter.js';
import { Collection, Model, type Attributes } from './model.js';
import { createWid, Wid } from './wid.js';

export interface SocketActions {
  logout(): Promise<void>;
  reconnect(): void;
  refreshQR(): void;
  takeover(): void;
}

const noActions: SocketActions = {
  logout: async () => undefined,
  reconnect: () => undefined,
  refreshQR: () => undefined,
  takeover: () => undefined,
};

export class SocketModel extends Model {
  actions: SocketActions = noActions;

  logout(): Promise<void> {
    return this.actions.logout();
  }

  reconnect(): void {
    this.actions.reconnect();
  }

  /** "Use here" after a CONFLICT: connect again, displacing the page that displaced this one. */
  takeover(): void {
    this.actions.takeover();
  }
}

export class ConnModel extends Model {
  canSetMyPushname(): boolean {
    return true;
  }
}

export class CmdBus extends Emitter {
  actions: SocketActions = noActions;

  refreshQR(): void {
    this.actions.refreshQR();
  }
}

export class MsgModel extends Model {
  canReply(): boolean {
    return true;
  }

  /** The quote fields a reply carries (WhatsApp Web's `msgContextInfo`). */
  msgContextInfo(_chat: unknown): Attributes {
    const data = this.serialize();
    const id = data['id'] as { id: string };
    return { quotedMsg: { type: data['type'], body: data['body'] }, quotedStanzaID: id.id, quotedParticipant: data['from'] };
  }
}

export class ChatModel extends Model {}
export class ContactModel extends Model {}

export interface Stores {
  socket: SocketModel;
  conn: ConnModel;
  cmd: CmdBus;
  stream: { markAvailable(): void; markUnavailable(): void };
  msgs: Collection<MsgModel>;
  chats: Collection<ChatModel>;
  contacts: Collection<ContactModel>;
  blocklist: Collection<Model>;
  me(): Wid | null;
}

export function createStores(): Stores {
  const conn = new ConnModel({ ref: null, wid: null, pushname: null, platform: 'android', phone: null, battery: null });
  return {
    socket: new SocketModel({ state: 'OPENING', hasSynced: false }),
    conn,
    cmd: new CmdBus(),
    stream: { markAvailable: () => undefined, markUnavailable: () => undefined },
    msgs: new Collection(MsgModel),
    chats: new Collection(ChatModel, (id) => newChat(createWid(id as string))),
    contacts: new Collection(ContactModel, (id) => newContact(createWid(id as string))),
    blocklist: new Collection(Model),
    me: () => {
      const wid = conn.get('wid');
      return wid instanceof Wid ? wid : null;
    },
  };
}

/** The chat with `wid`, made on first use like WhatsApp Web's `findOrCreateLatestChat`. */
export function chatFor(stores: Stores, wid: Wid): ChatModel {
  return stores.chats.get(wid) ?? stores.chats.add(newChat(wid));
}

export function contactFor(stores: Stores, wid: Wid): ContactModel {
  return stores.contacts.get(wid) ?? stores.contacts.add(newContact(wid));
}

function newChat(wid: Wid): ChatModel {
  return new ChatModel({
    id: wid,
    t: Math.floor(Date.now() / 1000),
    unreadCount: 0,
    archive: false,
    pin: 0,
    mute: { expiration: 0 },
    formattedTitle: `+${wid.user}`,
    isReadOnly: false,
  });
}

function newContact(wid: Wid): ContactModel {
  return new ContactModel({
    id: wid,
    name: undefined,
    shortName: undefined,
    pushname: undefined,
    isBusiness: false,
    isEnterprise: false,
    isContactBlocked: false,
    formattedName: `+${wid.user}`,
  });
}
