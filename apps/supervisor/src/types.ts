import type { FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ClusterMode } from './cluster/cluster-mode.js';
import type { Config } from './config.js';
import type { EventFeed } from './events/event-feed.js';
import type { EventRecorder } from './events/event-recorder.js';
import type { OutboxStore } from './events/outbox-store.js';
import type { WebhookDispatcher } from './events/webhook-dispatcher.js';
import type { MediaStore } from './media/media-store.js';
import type { MessageSender } from './messages/message-sender.js';
import type { SessionLogs } from './session-logs.js';
import type { SessionService } from './session/session-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    sessions: SessionService;
    events: EventRecorder;
    /** What wakes SSE streams (event-feed.ts). */
    eventFeed: EventFeed;
    outbox: OutboxStore;
    webhooks: WebhookDispatcher;
    sender: MessageSender;
    media: MediaStore;
    sessionLogs: SessionLogs;
    /** Cluster mode's parts; undefined on a single node. */
    cluster: ClusterMode | undefined;
  }

  interface FastifyContextConfig {
    /** Cluster mode: served by the node asked, never forwarded to the session's node (plugins/forward.ts). */
    anyNode?: boolean;
  }
}

/** The app as routes see it: TypeBox schemas type their request and reply. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger,
  TypeBoxTypeProvider
>;
