/**
 * The wire for what people do to messages beyond sending them: replies, reactions, revokes, read receipts,
 * and the number check. Kept apart from protocol.ts (which includes these) so that media and linking can
 * grow without touching each other. Types only, no DOM, as protocol.ts.
 *
 *   page ──reacted / revoked / seen──▶ server     what the client did (the emulator records it)
 *   page ──query-exists──▶ server                 is this number on WhatsApp? (the server keeps the registry)
 *   page ◀──reaction / revoke── server            what the other person did
 */

/** What an inbound reply carries about the message it quotes (WhatsApp Web's `msgContextInfo` fields). */
export interface QuotedInfo {
  /** The quoted message's own id (the last part of its serialized key): WhatsApp's `quotedStanzaID`. */
  stanzaId: string;
  /** Who wrote the quoted message: `quotedParticipant`. */
  participant: string;
  type: string;
  body: string;
}

export interface ReactedReport {
  clientId: string;
  /** The serialized key of the message reacted to. */
  msgId: string;
  /** '' takes the reaction back. */
  emoji: string;
}

export interface RevokedReport {
  clientId: string;
  /** The serialized key of the message revoked for everyone. */
  id: string;
}

export interface SeenReport {
  clientId: string;
  chatId: string;
}

export interface QueryExistsRequest {
  /** The wid the client asked about, as it built it (`<number>@c.us`). */
  wid: string;
}

export interface QueryExistsReply {
  /** The registered wid, or null when the number is not on WhatsApp. */
  wid: string | null;
}

export interface SocialPageOps {
  reacted: ReactedReport;
  revoked: RevokedReport;
  seen: SeenReport;
  'query-exists': QueryExistsRequest;
}

export interface InboundReaction {
  /** The reaction's own message id. */
  id: string;
  /** The serialized key of the message reacted to. */
  parent: string;
  emoji: string;
  from: string;
  timestampMs: number;
}

/** Server → page. */
export type SocialCommand =
  | { type: 'reaction'; reaction: InboundReaction }
  /** The other person deleted their message for everyone. */
  | { type: 'revoke'; serialized: string };
