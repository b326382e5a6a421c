/**
 * Every IPC message, as two discriminated unions keyed by a namespaced `type`:
 *
 *   supervisor → worker: supervisor.start, supervisor.shutdown, supervisor.lease, command.<name>; and
 *                        supervisor.batch, several of these in the order they were sent (one IPC write for what
 *                        the supervisor asked of one worker in one turn)
 *   worker → supervisor: worker.hello, worker.status, worker.qr, worker.event, worker.browser,
 *                        worker.heartbeat, worker.blocking, worker.log, worker.reply, worker.fatal; and
 *                        worker.batch, several of
 *                        these in the order they were sent (one IPC write for what the worker said in one turn)
 *
 * The conversation:
 *   1. the worker boots and sends `worker.hello` with its PROTOCOL_VERSION;
 *   2. the supervisor checks it and sends `supervisor.start` with its own version and the session's settings;
 *   3. the worker starts its engine, reporting `worker.status` / `worker.qr` / `worker.event`, and sends
 *      `worker.heartbeat` every `heartbeatIntervalMs` with its memory figures, and `worker.blocking` right before
 *      a long synchronous step that no heartbeat can interrupt (loading whatsapp-web.js and puppeteer);
 *   4. `command.*` messages carry a correlation `id`, answered by exactly one `worker.reply`;
 *   5. `supervisor.shutdown` asks for a clean stop; `worker.fatal` announces an exit that a restart will not cure;
 *   6. in a cluster, `supervisor.lease` tells the worker until when its session's lease is surely held: past that
 *      moment the worker kills its browser and exits on its own, even if its supervisor is paused or hung.
 */
import { Kind, Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import {
  BrowserProcess,
  CodedError,
  EngineName,
  EngineStatus,
  InboundMessage,
  LogLevel,
  Me,
  MemoryFigures,
  MessageAck,
  Reaction,
  Revoked,
  SessionId,
} from './common.js';
import { Commands, type CommandName, type CommandParams } from './commands.js';
import { EngineSettings } from './engine-options.js';
import { MAX_BATCH } from './constants.js';

const strict = { additionalProperties: false } as const;
const Version = Type.Integer({ minimum: 1 });
const CorrelationId = Type.String({ minLength: 1, maxLength: 64 });
const EpochMillis = Type.Number({ minimum: 0 });

// ---- supervisor → worker -------------------------------------------------------------------------

export const SupervisorStart = Type.Object(
  {
    type: Type.Literal('supervisor.start'),
    protocolVersion: Version,
    sessionId: SessionId,
    /** Absolute directory owned by this session; the engine keeps its auth data under it. */
    sessionDir: Type.String({ minLength: 1 }),
    settings: EngineSettings,
    heartbeatIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
    logLevel: LogLevel,
  },
  strict,
);

export const SupervisorShutdown = Type.Object(
  {
    type: Type.Literal('supervisor.shutdown'),
    reason: Type.String({ maxLength: 256 }),
    /** How long the supervisor waits before it escalates to signals. */
    timeoutMs: Type.Integer({ minimum: 0 }),
  },
  strict,
);

export const SupervisorLease = Type.Object(
  {
    type: Type.Literal('supervisor.lease'),
    /**
     * The deadline on CLOCK_MONOTONIC in milliseconds (`process.hrtime.bigint() / 1e6`), one clock for every
     * process of the machine, so neither IPC delay nor a wall-clock step moves it. Each renewal sends a later one.
     */
    untilMonotonicMs: Type.Number({ minimum: 0 }),
  },
  strict,
);

const commandMessage = (name: CommandName): TObject =>
  Type.Object({ type: Type.Literal(`command.${name}`), id: CorrelationId, params: Commands[name].params }, strict);

/** One message schema per command; their type is derived from the command table below. */
export const CommandMessages = Object.fromEntries(
  (Object.keys(Commands) as CommandName[]).map((name) => [name, commandMessage(name)]),
) as Record<CommandName, TObject>;

export type CommandMessage<N extends CommandName = CommandName> = {
  [K in N]: { type: `command.${K}`; id: string; params: CommandParams<K> };
}[N];

/** The `type` literal of a message schema (an object, or a union of objects sharing one `type`). */
export function messageType(schema: TSchema): string {
  const object = schema[Kind] === 'Union' ? (schema.anyOf as TSchema[])[0] : schema;
  const literal = object?.properties?.type?.const;
  if (typeof literal !== 'string') throw new TypeError('message schema without a literal "type"');
  return literal;
}

/** Every supervisor → worker message that stands for itself (and may travel in a `supervisor.batch`). */
export const SINGLE_SUPERVISOR_MESSAGES = [SupervisorStart, SupervisorShutdown, SupervisorLease, ...Object.values(CommandMessages)];
export const SingleSupervisorMessage = Type.Union(SINGLE_SUPERVISOR_MESSAGES);

/**
 * What the supervisor asked of one worker in one turn of its event loop, in order: under a burst of requests
 * for one session (inbound messages, sends), each command would otherwise be an IPC write of its own and a
 * wake-up of the worker. The worker handles the messages one by one in this order, as if they had come alone.
 */
export const SupervisorBatch = Type.Object(
  {
    type: Type.Literal('supervisor.batch'),
    messages: Type.Array(SingleSupervisorMessage, { minItems: 1, maxItems: MAX_BATCH }),
  },
  strict,
);

/** Every supervisor → worker message schema; the union and the worker's decoder are built from this list. */
export const SUPERVISOR_MESSAGES = [...SINGLE_SUPERVISOR_MESSAGES, SupervisorBatch];
export const SupervisorMessage = Type.Union(SUPERVISOR_MESSAGES);
export type SupervisorStart = Static<typeof SupervisorStart>;
export type SupervisorShutdown = Static<typeof SupervisorShutdown>;
export type SupervisorLease = Static<typeof SupervisorLease>;
export type SingleSupervisorMessage = SupervisorStart | SupervisorShutdown | SupervisorLease | CommandMessage;
export type SupervisorBatch = { type: 'supervisor.batch'; messages: SingleSupervisorMessage[] };
export type SupervisorMessage = SingleSupervisorMessage | SupervisorBatch;

// ---- worker → supervisor -------------------------------------------------------------------------

export const WorkerHello = Type.Object(
  {
    type: Type.Literal('worker.hello'),
    protocolVersion: Version,
    pid: Type.Integer({ minimum: 1 }),
    nodeVersion: Type.String(),
  },
  strict,
);

export const WorkerStatus = Type.Object(
  {
    type: Type.Literal('worker.status'),
    status: EngineStatus,
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    /** The linked account, once known (authenticated/ready). */
    me: Type.Optional(Me),
  },
  strict,
);

export const WorkerQr = Type.Object(
  {
    type: Type.Literal('worker.qr'),
    qr: Type.String({ minLength: 1, maxLength: 4096 }),
    /** 1 for the first QR of this worker, +1 on every refresh. */
    attempt: Type.Integer({ minimum: 1 }),
  },
  strict,
);

export const EngineEvent = Type.Union([
  Type.Object({ type: Type.Literal('message.received'), data: InboundMessage }, strict),
  Type.Object({ type: Type.Literal('message.ack'), data: MessageAck }, strict),
  Type.Object({ type: Type.Literal('message.reaction'), data: Reaction }, strict),
  Type.Object({ type: Type.Literal('message.revoked'), data: Revoked }, strict),
]);
export type EngineEvent = Static<typeof EngineEvent>;

export const WorkerEvent = Type.Object({ type: Type.Literal('worker.event'), event: EngineEvent }, strict);

export const WorkerBrowser = Type.Object(
  { type: Type.Literal('worker.browser'), browser: Type.Union([BrowserProcess, Type.Null()]) },
  strict,
);

export const WorkerHeartbeat = Type.Object(
  {
    type: Type.Literal('worker.heartbeat'),
    seq: Type.Integer({ minimum: 0 }),
    uptimeMs: EpochMillis,
    memory: MemoryFigures,
  },
  strict,
);

/**
 * The worker is about to block its event loop on a known long synchronous step: loading whatsapp-web.js and
 * puppeteer-core is one `require` of ~580 modules, 0.37–0.51 s of CPU on a 2-core machine, idle or beside CPU
 * burners, and longer on a slower one, in which no heartbeat can leave. Sent (and written) before the step; the supervisor
 * judges the silence that follows at its starved limit instead of the heartbeat timeout, until the next message.
 */
export const WorkerBlocking = Type.Object(
  { type: Type.Literal('worker.blocking'), step: Type.Union([Type.Literal('load-engine')]) },
  strict,
);

export const WorkerLog = Type.Object(
  {
    type: Type.Literal('worker.log'),
    level: LogLevel,
    time: EpochMillis,
    msg: Type.String({ maxLength: 16_384 }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  strict,
);

export const WorkerReply = Type.Union([
  Type.Object(
    { type: Type.Literal('worker.reply'), id: CorrelationId, ok: Type.Literal(true), result: Type.Unknown() },
    strict,
  ),
  Type.Object(
    { type: Type.Literal('worker.reply'), id: CorrelationId, ok: Type.Literal(false), error: CodedError },
    strict,
  ),
]);

export const WorkerFatal = Type.Object(
  {
    type: Type.Literal('worker.fatal'),
    error: CodedError,
    /** false when restarting cannot help (logged out, QR attempts exhausted, bad settings). */
    retry: Type.Boolean(),
  },
  strict,
);

/** Every worker → supervisor message that stands for itself (and may travel in a `worker.batch`). */
export const SINGLE_WORKER_MESSAGES = [
  WorkerHello,
  WorkerStatus,
  WorkerQr,
  WorkerEvent,
  WorkerBrowser,
  WorkerHeartbeat,
  WorkerBlocking,
  WorkerLog,
  WorkerReply,
  WorkerFatal,
];
export const SingleWorkerMessage = Type.Union(SINGLE_WORKER_MESSAGES);
export type SingleWorkerMessage = Static<typeof SingleWorkerMessage>;

/**
 * What the worker sent in one turn of its event loop, in order: under a burst of inbound messages, each event and
 * each command's reply would otherwise be an IPC write of its own and a wake-up of the supervisor. The
 * supervisor handles the messages one by one in this order, as if they had come alone (an event before the reply
 * that acknowledges it).
 */
export const WorkerBatch = Type.Object(
  { type: Type.Literal('worker.batch'), messages: Type.Array(SingleWorkerMessage, { minItems: 1, maxItems: MAX_BATCH }) },
  strict,
);
export type WorkerBatch = Static<typeof WorkerBatch>;

/** Every worker → supervisor message schema; the union and the supervisor's decoder are built from this list. */
export const WORKER_MESSAGES = [...SINGLE_WORKER_MESSAGES, WorkerBatch];
export const WorkerMessage = Type.Union(WORKER_MESSAGES);
export type WorkerMessage = Static<typeof WorkerMessage>;
export type WorkerHello = Static<typeof WorkerHello>;
export type WorkerStatus = Static<typeof WorkerStatus>;
export type WorkerQr = Static<typeof WorkerQr>;
export type WorkerEvent = Static<typeof WorkerEvent>;
export type WorkerBrowser = Static<typeof WorkerBrowser>;
export type WorkerHeartbeat = Static<typeof WorkerHeartbeat>;
export type WorkerBlocking = Static<typeof WorkerBlocking>;
export type WorkerLog = Static<typeof WorkerLog>;
export type WorkerReply = Static<typeof WorkerReply>;
export type WorkerFatal = Static<typeof WorkerFatal>;

export type { EngineName };
