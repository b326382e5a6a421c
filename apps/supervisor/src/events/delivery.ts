/**
 * A webhook delivery as the outbox lists it and GET /webhooks/deliveries answers it: declared once as a schema,
 * the type derived from it (the store's `DeliveryView` and the route's reply used to be two hand-written twins).
 */
import { Type, type Static } from '@sinclair/typebox';

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export const DeliveryStatus = Type.Unsafe<(typeof DELIVERY_STATUSES)[number]>({
  type: 'string',
  enum: [...DELIVERY_STATUSES],
  description: '`pending` (waiting for its next attempt), `sending`, `delivered` (a 2xx) or `failed` (attempts exhausted: kept until redelivered or discarded)',
});
export type DeliveryStatus = Static<typeof DeliveryStatus>;

export const Delivery = Type.Object({
  eventId: Type.String({ description: "The event's envelope id" }),
  eventType: Type.String(),
  sessionId: Type.String(),
  target: Type.String({ description: 'The receiver URL, credentials masked' }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()], {
    description: "The last attempt's failure: an HTTP status and the start of the answer, or a network error",
  }),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type DeliveryView = Static<typeof Delivery>;
