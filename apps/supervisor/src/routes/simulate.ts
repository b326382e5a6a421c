/** `engine: "simulated"` only: act as the phone, the other party and the network. */
import { Type } from '@sinclair/typebox';
import { InboundMessage, MessageText } from '@wsm/ipc-protocol';
import { Errors } from '../errors.js';
import { normalizeChatId } from '../messages/chat-id.js';
import { ErrorReply } from '../schemas/errors.js';
import { Recipient, Session, SessionParams } from '../schemas/session.js';
import type { SessionController } from '../session/session-controller.js';
import type { App } from '../types.js';

const errors = { 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };

export async function simulateRoutes(app: App): Promise<void> {
  const { sessions } = app;

  const simulated = (sessionId: string): SessionController => {
    const session = sessions.require(sessionId);
    if (session.engine !== 'simulated') throw new Errors.NOT_SIMULATED(sessionId, session.engine);
    return session;
  };
  const ready = (session: SessionController): SessionController => {
    session.assertReady();
    return session;
  };

  app.post(
    '/sessions/:sessionId/simulate/scan',
    { schema: { tags: ['simulate'], params: SessionParams, response: { 200: Session, ...errors } } },
    async (request) => {
      const session = simulated(request.params.sessionId);
      session.requireQr();
      await session.command('simulate.scan', {});
      return sessions.requireView(session.sessionId);
    },
  );

  app.post(
    '/sessions/:sessionId/simulate/inbound',
    {
      schema: {
        tags: ['simulate'],
        params: SessionParams,
        body: Type.Object({ from: Recipient, text: MessageText }, { additionalProperties: false }),
        response: { 200: InboundMessage, ...errors },
      },
    },
    async (request) => {
      const session = ready(simulated(request.params.sessionId));
      return session.command('simulate.inbound', { ...request.body, from: normalizeChatId(request.body.from, 'body.from') });
    },
  );

  app.post(
    '/sessions/:sessionId/simulate/allocate',
    {
      schema: {
        tags: ['simulate'],
        description: 'The simulated client leaks memory and keeps it: for testing SESSION_MAX_MEMORY_MB recycling.',
        params: SessionParams,
        body: Type.Object({ megabytes: Type.Integer({ minimum: 1, maximum: 4096 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ heldMegabytes: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const session = simulated(request.params.sessionId);
      return session.command('simulate.allocate', request.body);
    },
  );

  app.post(
    '/sessions/:sessionId/simulate/disconnect',
    { schema: { tags: ['simulate'], params: SessionParams, response: { 200: Session, ...errors } } },
    async (request) => {
      const session = ready(simulated(request.params.sessionId));
      await session.command('simulate.disconnect', {});
      return sessions.requireView(session.sessionId);
    },
  );
}
