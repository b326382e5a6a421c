/** The QR code (JSON or PNG) and pairing codes of a session waiting for its phone. */
import { Type } from '@sinclair/typebox';
import QRCode from 'qrcode';
import { ErrorReply } from '../schemas/errors.js';
import { PairingCodeBody, PairingCodeReply, QrReply, SessionParams } from '../schemas/session.js';
import type { App } from '../types.js';

const wantsPng = (format: string | undefined, accept: string | undefined): boolean =>
  format === 'png' || (format === undefined && accept !== undefined && /\bimage\/png\b/.test(accept));

export async function qrRoutes(app: App): Promise<void> {
  const { sessions } = app;

  app.get(
    '/sessions/:sessionId/qr',
    {
      schema: {
        tags: ['sessions'],
        params: SessionParams,
        querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('png')])) }),
        response: { 200: QrReply, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply },
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
        params: SessionParams,
        body: PairingCodeBody,
        response: { 200: PairingCodeReply, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const session = sessions.require(request.params.sessionId);
      session.requireQr();
      return session.command('requestPairingCode', { phoneNumber: request.body.phoneNumber });
    },
  );
}
