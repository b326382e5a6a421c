/**
 * The contract's event envelope, one shape for webhooks and SSE, and its types.
 */
import { Type, type Static } from '@sinclair/typebox';

export const EVENT_TYPES = [
  'session.status',
  'session.qr',
  'message.received',
  'message.sent',
  'message.ack',
  'message.reaction',
  'message.revoked',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EventTypeSchema = Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES] });

export const Envelope = Type.Object({
  id: Type.String({ description: 'Unique and sortable (a ULID)' }),
  type: EventTypeSchema,
  sessionId: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type Envelope = Static<typeof Envelope>;

export const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value);
