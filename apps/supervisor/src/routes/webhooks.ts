/** Webhook deliveries: list them (failed ones especially) and send failed ones again. */
import { Type } from '@sinclair/typebox';
import { SessionId } from '@wsm/ipc-protocol';
import { ErrorReply } from '../schemas/errors.js';
import type { App } from '../types.js';

const DeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('sending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
]);

const Delivery = Type.Object({
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

export async function webhookRoutes(app: App): Promise<void> {
  app.get(
    '/webhooks/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        querystring: Type.Object({
          status: Type.Optional(DeliveryStatus),
          sessionId: Type.Optional(SessionId),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: { 200: Type.Array(Delivery), 400: ErrorReply },
      },
    },
    async (request) => {
      const { status, sessionId, limit } = request.query;
      return app.outbox.listDeliveries({
        limit: limit ?? 100,
        ...(status === undefined ? {} : { status }),
        ...(sessionId === undefined ? {} : { sessionId }),
      });
    },
  );

  app.post(
    '/webhooks/deliveries/redeliver',
    {
      schema: {
        tags: ['webhooks'],
        description: 'Failed deliveries (of one event, or all) are retried from the start.',
        body: Type.Optional(Type.Object({ eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false })),
        response: { 200: Type.Object({ redelivered: Type.Integer() }), 400: ErrorReply },
      },
    },
    async (request) => {
      const redelivered = await app.outbox.redeliver(request.body?.eventId, Date.now());
      app.webhooks.kick();
      return { redelivered };
    },
  );
}
