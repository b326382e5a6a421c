/**
 * Example values for the OpenAPI document, typed by the schemas they illustrate; taken from a real run of the
 * service (ids and times fixed, so the generated document does not change from run to run).
 */
import type { Static } from '@sinclair/typebox';
import type { InboundMessage, SentMessage } from '@wsm/ipc-protocol';
import type { Envelope } from '../events/envelope.js';
import type { PairingCodeReply, QrReply, Session } from './session.js';

const created = '2026-01-15T09:30:00.000Z';

/** A webjs session that is up: linked, sampled, with the caller's metadata and a webhook of its own. */
export const readySession: Session = {
  sessionId: 'shop-42',
  engine: 'webjs',
  status: 'ready',
  desiredState: 'running',
  pid: 48213,
  browserPid: 48240,
  restarts: 0,
  createdAt: created,
  updatedAt: '2026-01-15T09:31:12.480Z',
  startedAt: '2026-01-15T09:30:00.012Z',
  readyAt: '2026-01-15T09:31:12.480Z',
  lastError: null,
  me: { id: '15550001111@c.us', pushname: 'Shop 42' },
  metadata: { crmAccountId: 'A-1001' },
  webhooks: [{ url: 'https://hooks.example.com/wsm', events: ['message.received', 'session.status'] }],
  memory: {
    workerBytes: 48_234_496,
    browserBytes: 262_144_000,
    totalBytes: 310_378_496,
    processes: 7,
    sampledAt: '2026-01-15T09:35:00.000Z',
  },
  proxy: null,
  node: null,
};

/** Just created and started: the worker is up, the engine initialising. */
export const startingSession: Session = {
  ...readySession,
  status: 'starting',
  browserPid: null,
  updatedAt: '2026-01-15T09:30:00.012Z',
  readyAt: null,
  me: null,
  memory: null,
};

/** Asked to stop: the worker is finishing. */
export const stoppingSession: Session = {
  ...readySession,
  status: 'stopping',
  desiredState: 'stopped',
  updatedAt: '2026-01-15T10:00:00.000Z',
};

/** Logged out: stopped, unlinked, its auth data deleted. */
export const loggedOutSession: Session = {
  ...readySession,
  status: 'stopped',
  desiredState: 'stopped',
  pid: null,
  browserPid: null,
  readyAt: null,
  me: null,
  memory: null,
  updatedAt: '2026-01-15T10:00:01.250Z',
};

/** Created with `start: false`. */
export const createdSession: Session = {
  ...loggedOutSession,
  startedAt: null,
  updatedAt: created,
};

/** A simulated session after `simulate/scan`. */
export const simulatedReadySession: Session = {
  ...readySession,
  engine: 'simulated',
  browserPid: null,
  me: { id: '15550001111@c.us', pushname: 'shop-42' },
  memory: null,
};

/** A simulated session after `simulate/disconnect`: it comes back `ready` by itself. */
export const disconnectedSession: Session = {
  ...simulatedReadySession,
  status: 'disconnected',
  updatedAt: '2026-01-15T09:40:00.000Z',
};

export const qrReply: Static<typeof QrReply> = { qr: '2@4q2q_KDpUvXQ0EgHa4Zn6olTNSoqhJM1dMGeiqbFUB0,simulated,shop-42' };
export const pairingCodeReply: Static<typeof PairingCodeReply> = { code: 'G5T28K8W' };

export const sentMessage: SentMessage = {
  id: 'true_15550002222@c.us_3EB0E8262C42BD7A8917',
  to: '15550002222@c.us',
  timestamp: 1768469700,
  type: 'chat',
};

export const inboundMessage: InboundMessage = {
  id: 'false_15550002222@c.us_3EB0CC719261E6B8AB2E',
  from: '15550002222@c.us',
  to: '15550001111@c.us',
  body: 'hello',
  type: 'chat',
  timestamp: 1768469640,
  hasMedia: false,
  media: null,
  replyTo: null,
};

export const receivedEvent: Envelope = {
  id: '01KF0G2CXPZCXSX0J5BSBNAX91',
  type: 'message.received',
  sessionId: 'shop-42',
  timestamp: '2026-01-15T09:34:00.118Z',
  data: { ...inboundMessage },
};
