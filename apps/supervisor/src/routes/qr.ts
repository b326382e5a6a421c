/** The QR code (JSON or PNG) and pairing codes of a session waiting for its phone. */
import { Type } from '@sinclair/typebox';
import QRCode from 'qrcode';
import { Errors } from '../errors.js';
import { reply as documented } from '../schemas/documented.js';
import { API_REFUSALS, JSON_BODY_REFUSALS, Refused, refusals, WORKER_REFUSALS } from '../schemas/errors.js';
import { pairingCodeReply, qrReply } from '../schemas/examples.js';
import { PairingCodeBody, PairingCodeReply, QrReply, SessionParams } from '../schemas/session.js';
import type { App } from '../types.js';

const noQr = new Errors.QR_NOT_AVAILABLE('shop-42', 'ready');

const wantsPng = (format: string | undefined, accept: string | undefined): boolean =>
  format === 'png' || (format === undefined && accept !== undefined && /\bimage\/png\b/.test(accept));

export async function qrRoutes(app: App): Promise<void> {
  const { sessions } = app;

  app.get(
    '/sessions/:sessionId/qr',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'getQr',
        summary: "Get the session's QR code",
        description:
          'The QR code to scan with the phone (WhatsApp → Linked devices), while the session is in status `qr`. ' +
          'JSON by default; a PNG image (320 px) with `?format=png` or `Accept: image/png`. WhatsApp replaces the code about every 20 s (webjs): ' +
          'fetch it again, or follow the `session.qr` events.',
        params: SessionParams,
        querystring: Type.Object({
          format: Type.Optional(
            Type.Union([Type.Literal('json'), Type.Literal('png')], { description: '`png` for an image; otherwise as `Accept` asks' }),
          ),
        }),
        response: {
          200: documented(QrReply, 'The QR code: `{ qr }` as JSON, or a PNG image (`image/png`) when asked for one', { example: qrReply }),
          ...refusals(...API_REFUSALS, Refused.invalidSessionId, new Errors.VALIDATION_FAILED('querystring.format must be "json"'), Refused.sessionNotFound, noQr),
        },
      },
    },
    async (request, reply) => {
      const session = sessions.require(request.params.sessionId);
      const qr = session.requireQr();
      if (!wantsPng(request.query.format, request.headers.accept)) return { qr };
      const png = await QRCode.toBuffer(qr, { type: 'png', margin: 2, width: 320 });
      // A Buffer is sent as it is, bypassing the JSON serializer that the 200 schema types.
      return reply.type('image/png').header('cache-control', 'no-store').send(png as unknown as { qr: string });
    },
  );

  app.post(
    '/sessions/:sessionId/pairing-code',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'requestPairingCode',
        summary: 'Link by phone number instead of a QR code',
        description:
          'While the session is in status `qr`: a code that the user types on the phone (Linked devices → Link a device → ' +
          'Link with phone number instead) to link this session to that number.',
        params: SessionParams,
        body: PairingCodeBody,
        response: {
          200: documented(PairingCodeReply, 'The pairing code', { example: pairingCodeReply }),
          ...refusals(
            ...API_REFUSALS,
            Refused.invalidSessionId,
            new Errors.VALIDATION_FAILED('body.phoneNumber must match pattern "^\\+?[0-9]{6,15}$"'),
            ...JSON_BODY_REFUSALS,
            Refused.sessionNotFound,
            noQr,
            ...WORKER_REFUSALS,
          ),
        },
      },
    },
    async (request) => {
      const session = sessions.require(request.params.sessionId);
      session.requireQr();
      return session.command('requestPairingCode', { phoneNumber: request.body.phoneNumber });
    },
  );
}
