/** The cluster's pure decisions: lease timings, placement of new sessions, sharing out orphans. */
import { describe, expect, it } from 'vitest';
import { clusterTimings, fenceDeadline } from '../src/cluster/lease-timings.js';
import { assignOrphans, choosePlacement, type NodeLoad } from '../src/cluster/placement-policy.js';

const node = (nodeId: string, sessions: number, maxSessions = 10, freeMemory = 1000, status: NodeLoad['status'] = 'alive'): NodeLoad => ({
  nodeId,
  sessions,
  maxSessions,
  freeMemory,
  status,
});

describe('clusterTimings', () => {
  it('renews several times before fencing, and fences well before another node may start', () => {
    const timings = clusterTimings(30_000);
    expect(timings).toEqual({ leaseMs: 30_000, renewEveryMs: 6_000, fenceAfterMs: 18_000, graceMs: 6_000 });
    expect(Math.floor(timings.fenceAfterMs / timings.renewEveryMs)).toBeGreaterThanOrEqual(3);
    expect(timings.leaseMs + timings.graceMs - timings.fenceAfterMs).toBeGreaterThanOrEqual(timings.leaseMs / 2);
    expect(fenceDeadline(timings, 1_000)).toBe(19_000);
    expect(() => clusterTimings(4_999)).toThrow(RangeError);
  });
});

describe('choosePlacement', () => {
  it('picks the live node with the most free slots, then the most free memory', () => {
    expect(choosePlacement([node('a', 5), node('b', 2), node('c', 2, 10, 5000)])).toBe('c');
    expect(choosePlacement([node('a', 1, 10, 1000, 'draining'), node('b', 9), node('c', 0, 10, 1000, 'dead')])).toBe('b');
  });

  it('finds no place in a full cluster', () => {
    expect(choosePlacement([node('a', 10), node('b', 3, 3)])).toBeUndefined();
    expect(choosePlacement([])).toBeUndefined();
  });
});

describe('assignOrphans', () => {
  const orphans = (count: number) => Array.from({ length: count }, (_, index) => ({ sessionId: `s${index}`, createdAt: `2026-01-0${index + 1}` }));

  it('spreads a dead node\'s sessions over the survivors by room, oldest first', () => {
    const assignment = assignOrphans(orphans(6), [node('a', 4), node('b', 0), node('dead', 0, 10, 1000, 'dead')]);
    const counts = new Map<string, number>();
    for (const target of assignment.values()) counts.set(target, (counts.get(target) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ a: 1, b: 5 });
    expect(assignment.get('s0')).toBe('b');
  });

  it('leaves what does not fit unassigned, the youngest last', () => {
    const assignment = assignOrphans(orphans(5), [node('a', 8), node('b', 9)]);
    expect([...assignment.keys()]).toEqual(['s0', 's1', 's2']);
  });
});
