/**
 * The runner as the cluster node sees it (cluster-node.ts's LeaseHost): a session whose lease the node took is
 * run here, one whose lease is lost is abandoned at once, one handed over is stopped cleanly first; every worker
 * hears of each renewal. And the other way round: a session that is no longer meant to run here (stopped,
 * logged out, failed) gives its lease back, so that only running sessions hold leases and count as load.
 */
import type { Logger } from 'pino';
import type { SessionController } from '../session/session-controller.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { isMeantToRun } from '../session/session-record.js';
import type { SessionRunner } from '../session/session-runner.js';
import type { ClusterNode, LeaseHost } from './cluster-node.js';
import type { Lease } from './lease-store.js';

/** Statuses a session may show while nothing runs it. */
const AT_REST = new Set(['stopped', 'failed']);

export interface LeaseHostOptions {
  runner: SessionRunner;
  registry: SessionRegistry;
  log: Logger;
  /** Before a taken-over session starts: bring its auth state to this machine (cluster mode). */
  beforeStart?: (sessionId: string) => Promise<void>;
  /** After a session's worker stopped for good here: save its auth state one last time. */
  afterStop?: (sessionId: string) => Promise<void>;
}

/**
 * Runs a session here whose lease this node has just taken: its row as the store has it now, its pairing
 * brought to this machine, a live status left by a node that died recorded as what it is (nothing runs the
 * session until this node starts it). Undefined when the session is gone.
 */
export async function takeHere(options: LeaseHostOptions, sessionId: string): Promise<SessionController | undefined> {
  const { runner, registry } = options;
  const running = runner.get(sessionId);
  if (running !== undefined) return running;
  const record = await registry.refresh(sessionId);
  if (record === undefined) return undefined;
  await options.beforeStart?.(sessionId);
  const stale = !AT_REST.has(record.status);
  const controller = runner.run({ ...record, status: stale ? 'stopped' : record.status });
  if (stale) {
    await registry.update(sessionId, { status: 'stopped' }).catch((error: unknown) => {
      // Not run here after all: no controller stays behind without the lease the caller now gives back.
      runner.release(sessionId);
      throw error;
    });
  }
  return controller;
}

export function runnerLeaseHost(options: LeaseHostOptions): LeaseHost {
  const { runner, log } = options;
  return {
    async adopt(lease: Lease): Promise<boolean> {
      if (runner.closing) return false;
      const controller = await takeHere(options, lease.sessionId);
      if (controller === undefined) return false;
      // Stopped meanwhile (the orphan list is a moment old): nothing to run, the lease goes back.
      if (!isMeantToRun(controller)) {
        runner.release(lease.sessionId);
        return false;
      }
      controller.start();
      return true;
    },
    abandon(sessionId: string, reason: string): void {
      runner.release(sessionId)?.abandon(reason);
    },
    extend(deadlineMs: number, sessionIds: readonly string[]): void {
      for (const sessionId of sessionIds) runner.get(sessionId)?.worker?.lease(deadlineMs);
    },
    async handOver(sessionId: string): Promise<boolean> {
      const controller = runner.get(sessionId);
      // Nothing of it runs in this process.
      if (controller === undefined) return true;
      await controller.shutdown();
      if (controller.worker?.alive === true) return false;
      runner.release(sessionId);
      await options.afterStop?.(sessionId).catch((error: unknown) => {
        log.error({ err: error, sessionId }, 'could not save the auth state at hand-over');
      });
      return true;
    },
    runs: (sessionId: string): boolean => runner.get(sessionId) !== undefined,
  };
}

/**
 * Gives a session's lease back once it rests here, not meant to run (its controller goes with it): checked at
 * every status change to a resting status, and by `check` after a verb that may not change the status at all
 * (a stop of a session already stopped, taken only to be stopped).
 */
export function releaseAtRest(
  runner: SessionRunner,
  node: ClusterNode,
  options: Pick<LeaseHostOptions, 'afterStop' | 'log'>,
): { check(sessionId: string): void } {
  const check = (sessionId: string): void => {
    const controller = runner.get(sessionId);
    if (controller === undefined) return;
    void (async () => {
      await controller.settled();
      await controller.durable();
      // Started again meanwhile, or already gone: nothing to give back.
      if (runner.get(sessionId) !== controller || isMeantToRun(controller) || !AT_REST.has(controller.status)) return;
      runner.release(sessionId);
      await options.afterStop?.(sessionId).catch((error: unknown) => {
        options.log.error({ err: error, sessionId }, 'could not save the auth state of a stopped session');
      });
      await node.release(sessionId);
    })();
  };
  runner.on('status', (change) => {
    if (AT_REST.has(change.status)) check(change.sessionId);
  });
  // The verb that took the session runs right after it is taken: look once it has been queued.
  return { check: (sessionId) => setImmediate(() => check(sessionId)) };
}
