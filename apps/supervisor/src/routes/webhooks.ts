/** Webhook deliveries: list them (failed ones especially) and send failed ones again. */
import { Type, type Static } from '@sinclair/typebox';
import { SessionId } from '@wsm/ipc-protocol';
import { Delivery, DeliveryStatus } from '../events/delivery.js';
import { maskCredentials } from '../net/mask-url.js';
import { Errors } from '../errors.js';
import { reply as documented, withExample } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals } from '../schemas/errors.js';
import type { App } from '../types.js';

const failedDelivery: Static<typeof Delivery> = {
  eventId: '01KF0G2CXPZCXSX0J5BSBNAX91',
  eventType: 'message.received',
  sessionId: 'shop-42',
  target: 'https://hook:***@hooks.example.com/wsm',
  status: 'failed',
  attempts: 25,
  nextAttemptAt: null,
  lastError: 'HTTP 503: upstream unavailable',
  lastStatusCode: 503,
  deliveredAt: null,
  createdAt: '2026-01-15T09:34:00.118Z',
};

export async function webhookRoutes(app: App): Promise<void> {
  app.get(
    '/webhooks/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'listDeliveries',
        summary: 'List webhook deliveries',
        description:
          'Deliveries of events to webhook targets, one per event and target, newest first: `?status=failed` lists those that exhausted their attempts.',
        querystring: Type.Object({
          status: Type.Optional(DeliveryStatus),
          sessionId: Type.Optional(SessionId),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: documented(Type.Array(Delivery), 'The deliveries', { example: [failedDelivery] }),
          ...refusals(...API_REFUSALS, new Errors.VALIDATION_FAILED('querystring.status must be one of: "pending", "sending", "delivered", "failed"'), Refused.invalidSessionId),
        },
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
        operationId: 'redeliverFailed',
        summary: 'Retry failed deliveries',
        description:
          'Failed deliveries (of one event, or all) are retried from the start: attempts reset, due now. ' +
          'No body (or `{}`) retries every failed delivery; `{"eventId": "…"}` only those of one event.',
        body: withExample(
          // Fastify validates a missing body as null: accepting null is what lets a bare POST mean "all of them".
          Type.Union([
            Type.Object(
              { eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only the deliveries of this event' })) },
              { additionalProperties: false },
            ),
            Type.Null(),
          ]),
          { eventId: '01KF0G2CXPZCXSX0J5BSBNAX91' },
        ),
        response: {
          200: documented(Type.Object({ redelivered: Type.Integer({ description: 'Deliveries set to be retried' }) }), 'Queued again', {
            example: { redelivered: 1 },
          }),
          ...refusals(...API_REFUSALS, new Errors.VALIDATION_FAILED('body must be an object'), ...JSON_BODY_REFUSALS),
        },
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
        operationId: 'discardFailed',
        summary: 'Discard failed deliveries',
        description:
          'Discards failed deliveries (of one event, or all): the operator gives up on them. Only failed deliveries can be discarded; pending ones are still being retried.',
        querystring: Type.Object(
          {
            status: Type.Unsafe<'failed'>({ type: 'string', enum: ['failed'], description: 'Must be `failed`' }),
            eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: documented(Type.Object({ discarded: Type.Integer({ description: 'Deliveries removed' }) }), 'Discarded', {
            example: { discarded: 3 },
          }),
          ...refusals(...API_REFUSALS, new Errors.VALIDATION_FAILED('querystring.status is required')),
        },
      },
    },
    async (request) => ({ discarded: await app.outbox.discardFailed(request.query.eventId) }),
  );
}
