/** GET /events: the envelopes as Server-Sent Events, filtered, resumable with Last-Event-ID. */
import type { ServerResponse } from 'node:http';
import { CloneType, Type } from '@sinclair/typebox';
import { SessionId } from '@wsm/ipc-protocol';
import { EVENT_TYPES, isEventType, type EventType } from '../events/envelope.js';
import { isEventId } from '../events/event-id.js';
import { streamEvents } from '../events/sse-stream.js';
import { Errors } from '../errors.js';
import { API_REFUSALS, Refused, refusals } from '../schemas/errors.js';
import { receivedEvent } from '../schemas/examples.js';
import type { App } from '../types.js';

export async function eventRoutes(app: App): Promise<void> {
  // Open streams never end by themselves, and the HTTP server's close waits for every connection:
  // they are ended first, so a graceful shutdown is not held up by a listening EventSource.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of open) raw.end();
  });

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        operationId: 'streamEvents',
        summary: 'Stream events (Server-Sent Events)',
        description:
          'Server-Sent Events of the event envelopes (`id:` is the envelope id). Without Last-Event-ID it streams from now on; with it (header, or `lastEventId`), every later event first, then live. ' +
          'An `EventSource` resumes by itself after a reconnect. Comment lines (`: keep-alive`) come every 15 s; a client too far behind is cut off and resumes with Last-Event-ID.',
        querystring: Type.Object({
          sessionId: Type.Optional(CloneType(SessionId, { description: "Only this session's events" })),
          types: Type.Optional(
            Type.String({
              description: `Only these event types, comma-separated: ${EVENT_TYPES.join(', ')}`,
            }),
          ),
          lastEventId: Type.Optional(
            Type.String({ maxLength: 64, description: 'Resume after this event id, for clients that cannot send the Last-Event-ID header' }),
          ),
          token: Type.Optional(Type.String({ maxLength: 256, description: 'A token of GET /auth/token, for an EventSource that can set no header' })),
        }),
        headers: Type.Object({
          'last-event-id': Type.Optional(Type.String({ description: 'Resume after this event id (an `EventSource` sends it when it reconnects)' })),
        }),
        response: {
          200: {
            description: 'The stream: one `id:` and one `data:` line (the envelope as JSON) per event',
            content: {
              'text/event-stream': {
                schema: Type.String(),
                example: `: stream open\n\nid: ${receivedEvent.id}\ndata: ${JSON.stringify(receivedEvent)}\n\n`,
              },
            },
          },
          ...refusals(
            ...API_REFUSALS,
            new Errors.VALIDATION_FAILED('unknown event types: message.deleted'),
            Refused.invalidSessionId,
            new Errors.INVALID_EVENT_ID('The Last-Event-ID header', 'nope'),
          ),
        },
      },
    },
    async (request, reply) => {
      const { sessionId, types, lastEventId } = request.query;
      let typeSet: Set<EventType> | undefined;
      if (types !== undefined) {
        const names = types.split(',').map((name) => name.trim()).filter((name) => name !== '');
        const unknown = names.filter((name) => !isEventType(name));
        if (unknown.length > 0) throw new Errors.VALIDATION_FAILED(`unknown event types: ${unknown.join(', ')}`);
        typeSet = new Set(names as EventType[]);
      }
      const header = request.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && header !== '';
      const resumeId = (fromHeader ? header : undefined) ?? lastEventId;
      // A resume point that is no event id would silently replay nothing (or everything): refuse it.
      if (resumeId !== undefined && !isEventId(resumeId)) {
        throw new Errors.INVALID_EVENT_ID(fromHeader ? 'The Last-Event-ID header' : 'querystring.lastEventId', resumeId.slice(0, 64));
      }
      const after = resumeId === undefined ? await app.outbox.headCursor() : await app.outbox.cursorOf(resumeId.toUpperCase());
      // Taken before hijacking: a hijacked reply writes none of the headers plugins set (CORS among them).
      const headers = reply.getHeaders();
      reply.hijack();
      open.add(reply.raw);
      reply.raw.once('close', () => open.delete(reply.raw));
      await streamEvents(
        reply.raw,
        { store: app.outbox, feed: app.eventFeed },
        { ...(sessionId === undefined ? {} : { sessionId }), ...(typeSet === undefined ? {} : { types: typeSet }) },
        after,
        headers,
      );
    },
  );
}
