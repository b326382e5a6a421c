/**
 * The lease loop of several nodes on one real PostgreSQL, with a recording host instead of workers: orphans
 * shared out, a silent node's sessions taken over after expiry and grace, a node cut off from the database
 * fencing itself before its leases expire, a drain handing over at once. Short timings (the contract's minimum
 * LEASE_MS is for deployments; the loop takes any).
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { monotonicNowMs } from '@wsm/ipc-protocol';
import { ClusterNode, type LeaseHost } from '../src/cluster/cluster-node.js';
import type { ClusterTimings } from '../src/cluster/lease-timings.js';
import type { Lease, LeaseStore } from '../src/cluster/lease-store.js';
import { PgLeaseStore } from '../src/cluster/pg-lease-store.js';
import { PgNodeStore } from '../src/cluster/pg-node-store.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { eventually } from './helpers.js';
import { testDatabase } from './postgres.js';

const timings: ClusterTimings = { leaseMs: 1_500, renewEveryMs: 250, fenceAfterMs: 900, graceMs: 300 };
const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

class RecordingHost implements LeaseHost {
  readonly running = new Map<string, Lease>();
  readonly abandoned: Array<{ sessionId: string; at: number }> = [];
  readonly handedOver: string[] = [];
  deadline = 0;

  async adopt(lease: Lease): Promise<boolean> {
    this.running.set(lease.sessionId, lease);
    return true;
  }
  abandon(sessionId: string): void {
    this.running.delete(sessionId);
    this.abandoned.push({ sessionId, at: monotonicNowMs() });
  }
  extend(deadlineMs: number): void {
    this.deadline = deadlineMs;
  }
  async handOver(sessionId: string): Promise<boolean> {
    this.running.delete(sessionId);
    this.handedOver.push(sessionId);
    return true;
  }
  runs(sessionId: string): boolean {
    return this.running.has(sessionId);
  }
}

/** A lease store whose renewals can be made to fail, as when the database is out of reach. */
class Unreachable implements LeaseStore {
  down = false;
  constructor(private readonly inner: LeaseStore) {}
  acquire: LeaseStore['acquire'] = (...args) => this.inner.acquire(...args);
  renew: LeaseStore['renew'] = (...args) => (this.down ? Promise.reject(new Error('connection refused')) : this.inner.renew(...args));
  release: LeaseStore['release'] = (...args) => this.inner.release(...args);
  holder: LeaseStore['holder'] = (...args) => this.inner.holder(...args);
  liveHolders: LeaseStore['liveHolders'] = () => this.inner.liveHolders();
  orphans: LeaseStore['orphans'] = (...args) => this.inner.orphans(...args);
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function cluster(sessions: number) {
  const url = await testDatabase();
  const admin = await PostgresDatabase.open({ connectionString: url });
  cleanup.push(() => admin.acquire().release());
  for (let index = 0; index < sessions; index++) {
    await admin.query(
      `INSERT INTO sessions (session_id, engine, desired_state, status, created_at, updated_at) VALUES ($1, 'simulated', 'running', 'stopped', $2, $2)`,
      [`s${index}`, new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString()],
    );
  }
  const node = async (nodeId: string, maxSessions = 100) => {
    const database = await PostgresDatabase.open({ connectionString: url });
    const leases = new Unreachable(new PgLeaseStore(database));
    const nodes = new PgNodeStore(database);
    const member = new ClusterNode({
      nodeId,
      url: `http://127.0.0.1/${nodeId}`,
      timings,
      leases,
      nodes,
      log,
      capacity: () => ({ maxSessions, freeMemory: 1 << 30 }),
      claimBatch: 100,
    });
    const host = new RecordingHost();
    cleanup.push(async () => {
      await member.stop(false);
      await database.acquire().release();
    });
    return { member, host, leases, nodes };
  };
  return { admin, node };
}


describe('ClusterNode', () => {
  it('shares orphans out between nodes, each session run by exactly one', async () => {
    const { node } = await cluster(8);
    const a = await node('a');
    const b = await node('b');
    // b is a member before a's first round: a takes only its share, and b the rest once it runs.
    await b.nodes.join({ nodeId: 'b', url: 'http://127.0.0.1/b', maxSessions: 100, sessions: 0, freeMemory: 1 << 30, leaseMs: timings.leaseMs });
    await a.member.start(a.host);
    expect(a.host.running.size).toBe(4);
    await b.member.start(b.host);
    await eventually(() => a.host.running.size + b.host.running.size === 8, 10_000);
    const owners = [...a.host.running.keys(), ...b.host.running.keys()];
    expect(new Set(owners).size).toBe(8);
    expect(b.host.running.size).toBeGreaterThan(0);
  });

  it("takes over a silent node's sessions only after its leases expired and the grace passed", async () => {
    const { node } = await cluster(3);
    const a = await node('a');
    await a.member.start(a.host);
    await eventually(() => a.host.running.size === 3, 10_000);
    const b = await node('b');
    await b.member.start(b.host);
    // a stops dead (as with kill -9): no renewal, no release.
    const silentAt = monotonicNowMs();
    await a.member.stop(false);
    await eventually(() => b.host.running.size === 3, 10_000);
    expect(monotonicNowMs() - silentAt).toBeGreaterThanOrEqual(timings.leaseMs + timings.graceMs - timings.renewEveryMs);
    const before = new Map([...a.host.running].map(([sessionId, lease]) => [sessionId, lease.epoch]));
    for (const [sessionId, lease] of b.host.running) expect(lease.epoch).toBeGreaterThan(before.get(sessionId) ?? Infinity);
  });

  it('kills its workers when it cannot renew, before its leases can expire', async () => {
    const { node, admin } = await cluster(2);
    const a = await node('a');
    await a.member.start(a.host);
    await eventually(() => a.host.running.size === 2, 10_000);
    const firstEpochs = new Map([...a.host.running].map(([sessionId, lease]) => [sessionId, lease.epoch]));
    const lastDeadline = a.host.deadline;
    a.leases.down = true;
    await eventually(() => a.host.abandoned.length === 2, 10_000);
    // Abandoned at the deadline the workers were given, and the leases still unexpired at that moment.
    expect(a.host.abandoned[0]!.at).toBeGreaterThanOrEqual(lastDeadline - 5);
    const { rows } = await admin.query<{ left_ms: string }>('SELECT extract(epoch FROM min(expires_at) - now()) * 1000 AS left_ms FROM session_leases');
    expect(Number(rows[0]!.left_ms)).toBeGreaterThan(0);
    expect(a.member.mayRun('s0')).toBe(false);
    // Back in reach: the leases it gave up are not renewed; it takes them again only once they are free.
    a.leases.down = false;
    await eventually(() => a.host.running.size === 2, 10_000);
    for (const [sessionId, lease] of a.host.running) expect(lease.epoch).toBeGreaterThan(firstEpochs.get(sessionId) ?? Infinity);
  });

  it('hands everything over at once when drained, without waiting for expiry', async () => {
    const { node } = await cluster(4);
    const a = await node('a');
    await a.member.start(a.host);
    await eventually(() => a.host.running.size === 4, 10_000);
    const b = await node('b');
    await b.member.start(b.host);
    const drainedAt = monotonicNowMs();
    await a.member.drain();
    expect(a.host.handedOver.sort()).toEqual(['s0', 's1', 's2', 's3']);
    await eventually(() => b.host.running.size === 4, 10_000);
    expect(monotonicNowMs() - drainedAt).toBeLessThan(timings.leaseMs);
    expect(a.member.status).toBe('draining');
  });
});
