/**
 * What a session controller is given: the configuration, the registry it writes through, the event port its
 * status events go through, the process layer (a factory, so a test gives a fake worker), and what it reports.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { EventPort } from '../events/event-port.js';
import type { Observer } from '../observer.js';
import { WorkerHandle } from '../worker/worker-handle.js';
import type { WorkerFactory } from '../worker/worker-port.js';
import type { LaunchSlots } from './launch-queue.js';
import type { RestartPolicy } from './restart-policy.js';
import type { SessionRegistry } from './session-registry.js';
import type { SessionStatus } from './state-machine.js';

export interface SessionEnvironment {
  config: Config;
  registry: SessionRegistry;
  /** Status events are prepared here and written with the change that causes them. */
  events: EventPort;
  log: Logger;
  /** The WSM_OWNER marker given to every worker of this supervisor. */
  owner: string;
  policy: RestartPolicy;
  /** `<DATA_DIR>/sessions/<sessionId>`, from a validated id. */
  sessionDir: (sessionId: string) => string;
  observer: Pick<Observer, 'workerExit' | 'restart' | 'command' | 'watchdogReprieve'>;
  /** Where every fork waits for a launch slot (launch-queue.ts); without one, forks happen at once. */
  launches?: LaunchSlots;
  /** Forks a worker; a test gives a fake one. */
  workers?: WorkerFactory;
  /** Cluster mode: whether this node may run a session now, and until when its workers may live. */
  lease?: LeaseView;
}

export interface LeaseView {
  /** Holds the session's lease, and its fence deadline has not passed. */
  mayRun(sessionId: string): boolean;
  /** CLOCK_MONOTONIC ms: every worker's deadline (supervisor.lease). */
  deadline(): number | undefined;
}

/** The real process layer: one forked worker per session. */
export const forkWorker: WorkerFactory = (spec) => new WorkerHandle(spec);

export interface StatusChange {
  sessionId: string;
  status: SessionStatus;
  previous: SessionStatus;
  reason: string | undefined;
  at: string;
}
