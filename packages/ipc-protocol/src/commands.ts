/**
 * Commands: requests from the supervisor that the worker answers with one `worker.reply` carrying the same `id`.
 * Each command is declared once with its params and its result schema; the message schemas and the types
 * the two sides program against are derived from this table.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { ChatId, IdempotencyKey, InboundMessage, Me, MessageText, PhoneNumber, SentMessage } from './common.js';

const Empty = Type.Object({}, { additionalProperties: false });

export const Commands = {
  /** Link by phone number instead of QR; answers the 8-character code the user types on the phone. */
  requestPairingCode: {
    params: Type.Object({ phoneNumber: PhoneNumber }, { additionalProperties: false }),
    result: Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false }),
  },
  /**
   * With an idempotency key, a worker that already sent under that key (its journal says so) answers with the
   * first result instead of sending again: this covers a supervisor that lost the answer in a crash.
   */
  sendText: {
    params: Type.Object(
      { to: ChatId, text: MessageText, idempotencyKey: Type.Optional(IdempotencyKey) },
      { additionalProperties: false },
    ),
    result: SentMessage,
  },
  /** Unlink the device and delete the session's auth data. */
  logout: { params: Empty, result: Empty },
  /** simulated engine only: the phone scans the QR (or confirms the pairing code). */
  'simulate.scan': {
    params: Empty,
    result: Type.Object({ me: Me }, { additionalProperties: false }),
  },
  /** simulated engine only: another party sends a text to this session. */
  'simulate.inbound': {
    params: Type.Object({ from: ChatId, text: MessageText }, { additionalProperties: false }),
    result: InboundMessage,
  },
  /** simulated engine only: the WhatsApp-side connection drops (and recovers by itself). */
  'simulate.disconnect': { params: Empty, result: Empty },
  /** simulated engine only: the client leaks this much memory (and keeps it), to exercise memory limits. */
  'simulate.allocate': {
    params: Type.Object({ megabytes: Type.Integer({ minimum: 1, maximum: 4096 }) }, { additionalProperties: false }),
    result: Type.Object({ heldMegabytes: Type.Integer() }, { additionalProperties: false }),
  },
} as const satisfies Record<string, { params: TObject; result: TSchema }>;

export type CommandName = keyof typeof Commands;
export type CommandParams<N extends CommandName> = Static<(typeof Commands)[N]['params']>;
export type CommandResult<N extends CommandName> = Static<(typeof Commands)[N]['result']>;
export const COMMAND_NAMES = Object.keys(Commands) as CommandName[];

export const isCommandName = (name: string): name is CommandName => Object.hasOwn(Commands, name);
