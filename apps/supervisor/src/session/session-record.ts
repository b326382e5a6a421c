/**
 * What the registry keeps of a session: the persistence record, declared here, in the session layer. The HTTP
 * `Session` (schemas/session.ts) is built from it plus what only the running process knows (pid, memory), so
 * the registry depends on nothing of the API.
 */
import type { EngineName, Me } from '@wsm/ipc-protocol';
import type { EventType } from '../events/envelope.js';
import type { SessionStatus } from './state-machine.js';

export type DesiredState = 'running' | 'stopped';

export interface LastError {
  code: string;
  message: string;
  at: string;
}

export interface WebhookTarget {
  url: string;
  /** Only these event types; all when absent. */
  events?: EventType[];
}

export interface SessionRecord {
  sessionId: string;
  engine: EngineName;
  status: SessionStatus;
  desiredState: DesiredState;
  restarts: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  readyAt: string | null;
  lastError: LastError | null;
  me: Me | null;
  metadata: Record<string, unknown>;
  webhooks: WebhookTarget[];
  /** A webjs session's proxy, credentials included: masked wherever it is shown. */
  proxy: string | null;
  /** Incremented by every write: updates are compare-and-set on it. */
  version: number;
}

/** What a write may change. */
export type SessionPatch = Partial<Omit<SessionRecord, 'sessionId' | 'createdAt' | 'version'>>;

/** What a caller gives to create a session. */
export interface NewSession {
  sessionId: string;
  engine: EngineName;
  metadata?: Record<string, unknown>;
  webhooks?: WebhookTarget[];
  proxy?: string;
}

export function newRecord(input: NewSession, desiredState: DesiredState, at: string): SessionRecord {
  return {
    sessionId: input.sessionId,
    engine: input.engine,
    status: 'stopped',
    desiredState,
    restarts: 0,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    readyAt: null,
    lastError: null,
    me: null,
    metadata: input.metadata ?? {},
    webhooks: input.webhooks ?? [],
    proxy: input.proxy ?? null,
    version: 1,
  };
}

/** A session someone asked to run: it counts against MAX_SESSIONS and is restored after a restart. */
export const isMeantToRun = (record: Pick<SessionRecord, 'desiredState'>): boolean => record.desiredState === 'running';
