/**
 * This supervisor as a member of a cluster: it holds the leases of the sessions it runs and keeps them, or
 * stops running them. Every `renewEveryMs`, a renewal round:
 *
 *   1. renew the leases of the sessions it runs (one statement); a lease not renewed is lost: its worker is
 *      killed at once and the session is no longer run here (another node holds it, or will); a lease of a
 *      session this process does not run (its start failed, its delete failed) is given back;
 *   2. tell every worker its new deadline (supervisor.lease), and re-arm the node's own fence timer;
 *   3. heartbeat: its load, and whether someone asked it to drain;
 *
 * and, on a chain of its own so that starting sessions never delays a renewal, a claim round: take its share
 * of the sessions nobody runs (placement-policy.ts), a few at a time, again at once while there are more.
 *
 * If no renewal succeeds before the fence deadline (the database is out of reach, or this process was paused),
 * the node kills every worker and lets every lease go; the workers would have ended themselves at that
 * moment anyway. The timings are lease-timings.ts'.
 */
import type { Logger } from 'pino';
import type { Fence } from '../store/fence.js';
import { monotonicNowMs } from '@wsm/ipc-protocol';
import { fenceDeadline, type ClusterTimings } from './lease-timings.js';
import type { Lease, LeaseStore } from './lease-store.js';
import type { NodeReport, NodeStatus, NodeStore } from './node-store.js';
import { assignOrphans } from './placement-policy.js';

/** What the node asks of the sessions it runs (the runner, in cluster mode). */
export interface LeaseHost {
  /** Run this session here: the node holds its lease. False when it is not meant to run (the lease is released). */
  adopt(lease: Lease): Promise<boolean>;
  /** The lease is lost: kill the worker now and stop running the session here, writing nothing. */
  abandon(sessionId: string, reason: string): void;
  /** The new deadline (CLOCK_MONOTONIC ms) of the workers of these sessions, the ones whose leases are held. */
  extend(deadlineMs: number, sessionIds: readonly string[]): void;
  /**
   * Stop the session's worker cleanly (its final auth save included), so that its lease can be released.
   * Resolves true once no worker of the session runs here; false when that is not known (the lease is then
   * left to expire, never released early).
   */
  handOver(sessionId: string): Promise<boolean>;
  /** Whether this process runs the session (has its controller): a lease without one is given back. */
  runs(sessionId: string): boolean;
}

export interface ClusterNodeOptions {
  nodeId: string;
  url: string;
  timings: ClusterTimings;
  leases: LeaseStore;
  nodes: NodeStore;
  log: Logger;
  /** MAX_SESSIONS and the machine's free memory, for the heartbeat and placement. */
  capacity: () => { maxSessions: number; freeMemory: number };
  /** Orphans claimed per round, at most: a dead node's sessions are spread, not grabbed at once. */
  claimBatch?: number;
  /** Sessions handed over at once while draining. */
  handOverConcurrency?: number;
  now?: () => number;
}

const DEFAULT_CLAIM_BATCH = 4;
const DEFAULT_HAND_OVER_CONCURRENCY = 4;
/** Orphans looked at per round. */
const ORPHAN_WINDOW = 200;
/**
 * Rounds an orphan may stay assigned to another node before this one takes it if it has room: the other node
 * may have died since the snapshot, or be unable to start it.
 */
const PATIENCE_ROUNDS = 3;

export class ClusterNode {
  readonly #options: ClusterNodeOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #host: LeaseHost | undefined;
  /** The leases of the sessions this node runs, and when each was taken (monotonic). */
  readonly #held = new Map<string, { lease: Lease; takenAt: number }>();
  #renewedAt: number | undefined;
  #loop: NodeJS.Timeout | undefined;
  #fenceTimer: NodeJS.Timeout | undefined;
  #round: Promise<void> = Promise.resolve();
  #claims: Promise<void> = Promise.resolve();
  #claimPending = false;
  /** Sessions this node could not run when it took them: not claimed again before `until` (monotonic). */
  readonly #adoptFailures = new Map<string, { count: number; until: number }>();
  #status: NodeStatus = 'alive';
  #draining: Promise<void> | undefined;
  #stopped = false;
  /** How many rounds in a row each orphan has been seen unclaimed. */
  #orphanRounds = new Map<string, number>();

  constructor(options: ClusterNodeOptions) {
    this.#options = options;
    this.#log = options.log.child({ nodeId: options.nodeId });
    this.#now = options.now ?? monotonicNowMs;
  }

  get nodeId(): string {
    return this.#options.nodeId;
  }

  get status(): NodeStatus {
    return this.#status;
  }

  get timings(): ClusterTimings {
    return this.#options.timings;
  }

  /** The fence this node writes a session's changes under; undefined when it does not hold the session. */
  fenceOf(sessionId: string): Fence | undefined {
    const held = this.#held.get(sessionId)?.lease;
    return held === undefined ? undefined : { nodeId: held.nodeId, epoch: held.epoch };
  }

  /** Until when this node may run its sessions (CLOCK_MONOTONIC ms); undefined before its first renewal. */
  deadline(): number | undefined {
    return this.#renewedAt === undefined ? undefined : fenceDeadline(this.#options.timings, this.#renewedAt);
  }

  /** Whether the node may run the session now: it holds the lease, and the fence deadline has not passed. */
  mayRun(sessionId: string): boolean {
    const deadline = this.deadline();
    return this.#held.has(sessionId) && deadline !== undefined && this.#now() < deadline;
  }

  runs(): string[] {
    return [...this.#held.keys()];
  }

  /** Joins the cluster and starts the loop; the first round runs before this resolves. */
  async start(host: LeaseHost): Promise<void> {
    this.#host = host;
    await this.#options.nodes.join(this.#report());
    this.#renewedAt = this.#now();
    this.#armFence();
    await this.#schedule();
  }

  /**
   * Takes a session's lease for this node (a new or started session placed here); undefined when another node
   * holds it. The caller then runs it.
   */
  async acquire(sessionId: string): Promise<Lease | undefined> {
    // Draining, stopped, or past its own fence deadline (it could not run what it took): takes nothing.
    const deadline = this.deadline();
    if (this.#status !== 'alive' || this.#stopped || deadline === undefined || this.#now() >= deadline) return undefined;
    const takenAt = this.#now();
    const lease = await this.#options.leases.acquire(sessionId, this.nodeId, this.#options.timings);
    if (lease !== undefined) this.#held.set(sessionId, { lease, takenAt });
    return lease;
  }

  /** The session is no longer run here (stopped for good, deleted, handed over): its lease is free at once. */
  async release(sessionId: string): Promise<void> {
    const held = this.#held.get(sessionId);
    if (held === undefined) return;
    this.#held.delete(sessionId);
    await this.#options.leases.release(held.lease).catch((error: unknown) => {
      // It expires on its own: the session moves after LEASE_MS instead of at once.
      this.#log.warn({ err: error, sessionId }, 'could not release a lease; it will expire');
    });
  }

  /** The session was deleted: its lease row went with it; nothing to renew or release. */
  forget(sessionId: string): void {
    this.#held.delete(sessionId);
    this.#adoptFailures.delete(sessionId);
  }

  /** Hands every session over to the other nodes and takes no new ones (POST /nodes/:id/drain, SIGTERM). */
  drain(): Promise<void> {
    this.#status = 'draining';
    this.#draining ??= (async () => {
      // Listed draining first, so that no node assigns this one a share of what it hands over.
      await this.#options.nodes.drain(this.nodeId).catch((error: unknown) => {
        this.#log.warn({ err: error }, 'could not record the drain; handing over all the same');
      });
      await this.#handOverAll();
    })();
    return this.#draining;
  }

  /** Stops the loop; with `leave`, the node is listed dead at once (it handed everything over). */
  async stop(leave: boolean): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#loop);
    clearTimeout(this.#fenceTimer);
    await this.#round.catch(() => undefined);
    await this.#claims.catch(() => undefined);
    if (leave) await this.#options.nodes.leave(this.nodeId).catch(() => undefined);
  }

  /**
   * A round soon (a lease was released somewhere: take a share now, not at the next tick). Many nudges while one
   * waits make one round.
   */
  nudge(): void {
    if (this.#claimPending || this.#stopped) return;
    this.#claimPending = true;
    this.#claims = this.#claims.then(async () => {
      this.#claimPending = false;
      if (this.#status !== 'alive' || this.#stopped) return;
      try {
        // A full batch taken: there may be more waiting; look again at once instead of a renewal period later.
        if (await this.#claim()) this.nudge();
      } catch (error) {
        this.#log.error({ err: error }, 'claiming sessions failed; retrying at the next round');
      }
    });
  }

  #schedule(): Promise<void> {
    this.#round = this.#round.then(() => this.#runRound());
    const round = this.#round.then(() => this.#claims);
    void round.finally(() => {
      if (!this.#stopped) this.#loop = setTimeout(() => void this.#schedule(), this.#options.timings.renewEveryMs);
    });
    return round;
  }

  async #runRound(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#renew();
      const status = await this.#options.nodes.heartbeat(this.#report());
      if (status === 'draining' && this.#status !== 'draining') {
        this.#log.info('asked to drain: handing every session over');
        void this.drain();
      }
    } catch (error) {
      this.#log.error({ err: error }, 'cluster round failed; retrying at the next one');
    }
    this.nudge();
  }

  async #renew(): Promise<void> {
    const started = this.#now();
    const ids = [...this.#held.keys()];
    const renewed = new Set((await this.#options.leases.renew(this.nodeId, ids, this.#options.timings.leaseMs)).map((lease) => lease.sessionId));
    this.#renewedAt = started;
    this.#armFence();
    for (const sessionId of ids) {
      const held = this.#held.get(sessionId);
      // Taken during the renewal: the renewal may not have seen it yet; the next one will.
      if (held === undefined || renewed.has(sessionId) || held.takenAt >= started) continue;
      this.#held.delete(sessionId);
      this.#log.warn({ sessionId, epoch: held.lease.epoch }, 'lost the lease of a session; stopping it here');
      this.#host?.abandon(sessionId, 'the lease was lost');
    }
    const deadline = this.deadline();
    if (deadline !== undefined) this.#host?.extend(deadline, [...this.#held.keys()]);
    // Held but not run here for two renewals (its start or its delete failed midway): no worker of it runs in
    // this process, so it is given back rather than renewed for ever with nobody running it.
    for (const [sessionId, held] of this.#held) {
      if (this.#host === undefined || this.#host.runs(sessionId) || started - held.takenAt < 2 * this.#options.timings.renewEveryMs) continue;
      this.#log.warn({ sessionId }, 'held a lease of a session this node does not run; releasing it');
      await this.release(sessionId);
    }
  }

  /** Claims this node's share of the orphans, a batch at most; true when it took a full batch. */
  async #claim(): Promise<boolean> {
    const { leases, nodes, timings } = this.#options;
    const now = this.#now();
    const orphans = (await leases.orphans(timings.graceMs, ORPHAN_WINDOW)).filter(
      (orphan) => (this.#adoptFailures.get(orphan.sessionId)?.until ?? 0) <= now,
    );
    const rounds = new Map(orphans.map((orphan) => [orphan.sessionId, (this.#orphanRounds.get(orphan.sessionId) ?? 0) + 1]));
    this.#orphanRounds = rounds;
    if (orphans.length === 0) return false;
    const members = await nodes.list();
    const assignment = assignOrphans(orphans, members);
    const me = members.find((member) => member.nodeId === this.nodeId);
    let room = me === undefined ? 0 : me.maxSessions - this.#held.size;
    const mine = orphans.filter(
      (orphan) => assignment.get(orphan.sessionId) === this.nodeId || (rounds.get(orphan.sessionId) ?? 0) > PATIENCE_ROUNDS,
    );
    const batch = mine.slice(0, this.#options.claimBatch ?? DEFAULT_CLAIM_BATCH);
    let taken = 0;
    for (const orphan of batch) {
      if (room-- <= 0 || this.#status !== 'alive' || this.#stopped) return false;
      const lease = await this.acquire(orphan.sessionId);
      if (lease === undefined) continue;
      let failure: unknown;
      const adopted = await this.#host?.adopt(lease).catch((error: unknown) => {
        failure = error;
        return false;
      });
      if (adopted === true) {
        taken++;
        this.#adoptFailures.delete(lease.sessionId);
        this.#log.info({ sessionId: lease.sessionId, epoch: lease.epoch }, 'took over a session nobody ran');
        continue;
      }
      if (failure !== undefined) {
        // Not claimed again here for a while (doubling), so one session that cannot start is not retried in a
        // tight loop by every node (each release wakes them all).
        const count = (this.#adoptFailures.get(lease.sessionId)?.count ?? 0) + 1;
        const backoffMs = Math.min(2 ** count * this.#options.timings.renewEveryMs, 60 * this.#options.timings.renewEveryMs);
        this.#adoptFailures.set(lease.sessionId, { count, until: this.#now() + backoffMs });
        this.#log.error({ err: failure, sessionId: lease.sessionId, retryInMs: backoffMs }, 'could not run a session taken over; letting it go');
      }
      await this.release(lease.sessionId);
    }
    return taken === batch.length && batch.length > 0;
  }

  async #handOverAll(): Promise<void> {
    const queue = [...this.#held.keys()];
    const worker = async (): Promise<void> => {
      for (let sessionId = queue.shift(); sessionId !== undefined; sessionId = queue.shift()) {
        const gone = await this.#host?.handOver(sessionId).catch((error: unknown) => {
          this.#log.error({ err: error, sessionId }, 'hand-over failed; the lease is left to expire');
          return false;
        });
        // Released only once no worker of it can run here: otherwise another node could start it alongside.
        if (gone === true) await this.release(sessionId);
        else {
          this.#held.delete(sessionId);
          this.#host?.abandon(sessionId, 'hand-over failed');
        }
      }
    };
    const concurrency = this.#options.handOverConcurrency ?? DEFAULT_HAND_OVER_CONCURRENCY;
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  }

  /** Fires at the deadline unless a renewal re-arms it first. */
  #armFence(): void {
    clearTimeout(this.#fenceTimer);
    const deadline = this.deadline();
    if (deadline === undefined || this.#stopped) return;
    this.#fenceTimer = setTimeout(() => this.#fence(), Math.max(0, deadline - this.#now()));
    this.#fenceTimer.unref();
  }

  #fence(): void {
    const deadline = this.deadline();
    if (deadline !== undefined && this.#now() < deadline) {
      this.#armFence();
      return;
    }
    if (this.#held.size === 0) return;
    this.#log.error(
      { sessions: this.#held.size, sinceRenewalMs: this.#renewedAt === undefined ? null : this.#now() - this.#renewedAt },
      'no lease renewal in time: killing every worker before the leases can expire',
    );
    for (const sessionId of [...this.#held.keys()]) {
      this.#held.delete(sessionId);
      this.#host?.abandon(sessionId, 'no lease renewal in time');
    }
  }

  #report(): NodeReport {
    const { maxSessions, freeMemory } = this.#options.capacity();
    return {
      nodeId: this.nodeId,
      url: this.#options.url,
      maxSessions,
      sessions: this.#held.size,
      freeMemory,
      leaseMs: this.#options.timings.leaseMs,
    };
  }
}
