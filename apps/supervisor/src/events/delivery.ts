/**
 * A webhook delivery as the outbox lists it and GET /webhooks/deliveries answers it: declared once as a schema,
 * the type derived from it (the store's `DeliveryView` and the route's reply used to be two hand-written twins).
 */
import { Type, type Static } from '@sinclair/typebox';

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export const DeliveryStatus = Type.Unsafe<(typeof DELIVERY_STATUSES)[number]>({ type: 'string', enum: [...DELIVERY_STATUSES] });
export type DeliveryStatus = Static<typeof DeliveryStatus>;

export const Delivery = Type.Object({
  eventId: Type.String(),
  eventType: Type.String(),
  sessionId: Type.String(),
  target: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type DeliveryView = Static<typeof Delivery>;
