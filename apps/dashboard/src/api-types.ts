/**
 * The API's shapes as the supervisor declares them: each type is derived (Static<>) from the TypeBox schema that
 * validates and documents its route, never copied, so a change to the API that the dashboard does not follow fails
 * its type-check. Type-only imports: nothing of the supervisor ends up in the bundle.
 */
import type { WorkerErrorCode } from '@wsm/ipc-protocol';
import type { LastErrorCode } from '../../supervisor/src/errors.js';
import type { DeliveryView } from '../../supervisor/src/events/delivery.js';
import type { Envelope, EventType } from '../../supervisor/src/events/envelope.js';
import type { LogRecord } from '../../supervisor/src/logs/log-record.js';
import type { ClusterNodeView } from '../../supervisor/src/schemas/node.js';
import type { ErrorReply } from '../../supervisor/src/schemas/errors.js';
import type { LastError, PairingCodeReply, Session } from '../../supervisor/src/schemas/session.js';

export type { ClusterNodeView, DeliveryView, Envelope, ErrorReply, EventType, LastError, LogRecord, Session };
export type SessionStatus = Session['status'];
export type EngineName = Session['engine'];
export type PairingCode = PairingCodeReply;
/** Every code a session's lastError can carry: the supervisor's own and the worker's. */
export type LastErrorCodeName = (typeof LastErrorCode)[keyof typeof LastErrorCode] | WorkerErrorCode;
