/** Webhook deliveries: list them (failed ones especially) and send failed ones again. */
import { Type } from '@sinclair/typebox';
import { SessionId } from '@wsm/ipc-protocol';
import { Delivery, DeliveryStatus } from '../events/delivery.js';
import { maskCredentials } from '../net/mask-url.js';
import { ErrorReply } from '../schemas/errors.js';
import type { App } from '../types.js';

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
      const deliveries = await app.outbox.listDeliveries({
        limit: limit ?? 100,
        ...(status === undefined ? {} : { status }),
        ...(sessionId === undefined ? {} : { sessionId }),
      });
      return deliveries.map((delivery) => ({ ...delivery, target: maskCredentials(delivery.target) }));
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

  app.delete(
    '/webhooks/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        description:
          'Discards failed deliveries (of one event, or all): the operator gives up on them. Only failed deliveries can be discarded; pending ones are still being retried.',
        querystring: Type.Object(
          {
            status: Type.Unsafe<'failed'>({ type: 'string', enum: ['failed'], description: 'Must be `failed`' }),
            eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ discarded: Type.Integer() }), 400: ErrorReply },
      },
    },
    async (request) => ({ discarded: await app.outbox.discardFailed(request.query.eventId) }),
  );
}
