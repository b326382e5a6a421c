/**
 * The runner as the cluster node sees it (cluster-node.ts's LeaseHost): a session whose lease the node took is
 * run here, one whose lease is lost is abandoned at once, one handed over is stopped cleanly first; every worker
 * hears of each renewal. And the other way round: a session that is no longer meant to run here (stopped,
 * logged out, failed) gives its lease back, so that only running sessions hold leases and count as load.
 */
import type { Logger } from 'pino';
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

export function runnerLeaseHost(options: LeaseHostOptions): LeaseHost {
  const { runner, registry, log } = options;
  return {
    async adopt(lease: Lease): Promise<boolean> {
      const record = await registry.refresh(lease.sessionId);
      if (record === undefined || !isMeantToRun(record) || runner.closing) return false;
      await options.beforeStart?.(lease.sessionId);
      // A live status left by the node that died is history: nothing runs the session until this node starts it.
      const stale = !AT_REST.has(record.status);
      const controller = runner.run({ ...record, status: stale ? 'stopped' : record.status });
      if (stale) await registry.update(lease.sessionId, { status: 'stopped' });
      controller.start();
      return true;
    },
    abandon(sessionId: string, reason: string): void {
      runner.release(sessionId)?.abandon(reason);
    },
    extend(deadlineMs: number): void {
      for (const controller of runner.controllers()) controller.worker?.lease(deadlineMs);
    },
    async handOver(sessionId: string): Promise<void> {
      const controller = runner.get(sessionId);
      if (controller === undefined) return;
      await controller.shutdown();
      runner.release(sessionId);
      await options.afterStop?.(sessionId).catch((error: unknown) => {
        log.error({ err: error, sessionId }, 'could not save the auth state at hand-over');
      });
    },
  };
}

/** Gives a session's lease back once it rests here, not meant to run (its controller goes with it). */
export function releaseAtRest(runner: SessionRunner, node: ClusterNode, options: Pick<LeaseHostOptions, 'afterStop' | 'log'>): void {
  runner.on('status', (change) => {
    if (!AT_REST.has(change.status)) return;
    const controller = runner.get(change.sessionId);
    if (controller === undefined) return;
    void (async () => {
      await controller.settled();
      await controller.durable();
      // Started again meanwhile, or already gone: nothing to give back.
      if (runner.get(change.sessionId) !== controller || isMeantToRun(controller) || !AT_REST.has(controller.status)) return;
      runner.release(change.sessionId);
      await options.afterStop?.(change.sessionId).catch((error: unknown) => {
        options.log.error({ err: error, sessionId: change.sessionId }, 'could not save the auth state of a stopped session');
      });
      await node.release(change.sessionId);
    })();
  });
}
