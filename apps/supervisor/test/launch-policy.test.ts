import { describe, expect, it } from 'vitest';
import { cpuLoadBetween } from '../src/session/cpu-load.js';
import { DEFAULT_CPU_LIMITS, decideLaunch, ENGINE_LAUNCH_CPU_MS, type LaunchFacts } from '../src/session/launch-policy.js';

const MB = 1024 * 1024;
const policy = { maxLaunches: 4, minFreeBytes: 256 * MB, ...DEFAULT_CPU_LIMITS };
const facts = (over: Partial<LaunchFacts> = {}): LaunchFacts => ({
  launching: 1,
  cpuCount: 2,
  load: { stall: 0.1, idle: 0.6 },
  availableBytes: 8192 * MB,
  footprintBytes: 320 * MB,
  launchCpuMs: ENGINE_LAUNCH_CPU_MS.webjs,
  ...over,
});

describe('decideLaunch', () => {
  it('always lets one launch begin when none is under way, however starved or short of memory the machine is', () => {
    expect(decideLaunch(policy, facts({ launching: 0, load: { stall: 1, idle: 0 }, availableBytes: 0 }))).toEqual({ launch: true });
    expect(decideLaunch(policy, facts({ launching: 0, load: undefined }))).toEqual({ launch: true });
  });

  it('lets another begin while the CPUs have room and memory stays above the floor', () => {
    expect(decideLaunch(policy, facts())).toEqual({ launch: true });
    expect(decideLaunch(policy, facts({ launching: 3 }))).toEqual({ launch: true });
  });

  it('does not pace launches cheaper than a CPU window by CPU load (simulated workers): only the bound and memory hold them', () => {
    const simulated = { launchCpuMs: ENGINE_LAUNCH_CPU_MS.simulated, footprintBytes: 64 * MB };
    expect(decideLaunch(policy, facts({ ...simulated, load: { stall: 1, idle: 0 } }))).toEqual({ launch: true });
    expect(decideLaunch(policy, facts({ ...simulated, load: undefined }))).toEqual({ launch: true });
    expect(decideLaunch(policy, facts({ ...simulated, launching: 4 }))).toEqual({ launch: false, reason: 'at-limit' });
    expect(decideLaunch(policy, facts({ ...simulated, availableBytes: 300 * MB }))).toEqual({ launch: false, reason: 'memory' });
    // The same load holds a webjs launch back.
    expect(decideLaunch(policy, facts({ load: { stall: 1, idle: 0 } }))).toEqual({ launch: false, reason: 'cpu-busy' });
  });

  it('never more than LAUNCH_CONCURRENCY at once', () => {
    expect(decideLaunch(policy, facts({ launching: 4 }))).toEqual({ launch: false, reason: 'at-limit' });
    expect(decideLaunch({ ...policy, maxLaunches: 1 }, facts())).toEqual({ launch: false, reason: 'at-limit' });
  });

  it('waits while CPU pressure is above the limit (PSI), or without PSI while less than half a CPU is idle', () => {
    expect(decideLaunch(policy, facts({ load: { stall: 0.8, idle: 0.9 } }))).toEqual({ launch: false, reason: 'cpu-busy' });
    // PSI decides when it is there: a busy but not stalled machine (every CPU at work, nothing waiting) may take one more.
    expect(decideLaunch(policy, facts({ load: { stall: 0.2, idle: 0 } }))).toEqual({ launch: true });
    expect(decideLaunch(policy, facts({ load: { stall: undefined, idle: 0.1 } }))).toEqual({ launch: false, reason: 'cpu-busy' });
    expect(decideLaunch(policy, facts({ load: { stall: undefined, idle: 0.5 } }))).toEqual({ launch: true });
    // Nothing measurable at all: only the bound and memory hold it back.
    expect(decideLaunch(policy, facts({ load: { stall: undefined, idle: undefined } }))).toEqual({ launch: true });
  });

  it('waits for a measured window before a second launch', () => {
    expect(decideLaunch(policy, facts({ load: undefined }))).toEqual({ launch: false, reason: 'measuring' });
  });

  it('counts the footprint of the launches under way, not yet grown, against available memory', () => {
    // 1 under way + this one: 640 MB of 900 MB leaves 260 MB, above the 256 MB floor; a second under way does not fit.
    expect(decideLaunch(policy, facts({ availableBytes: 900 * MB }))).toEqual({ launch: true });
    expect(decideLaunch(policy, facts({ launching: 2, availableBytes: 900 * MB }))).toEqual({ launch: false, reason: 'memory' });
    expect(decideLaunch(policy, facts({ availableBytes: undefined }))).toEqual({ launch: true });
  });
});

describe('cpuLoadBetween', () => {
  it('is the share of the window with a task waiting (PSI some) and the share of CPU time idle', () => {
    const before = { atMs: 1000, stallUs: 5_000_000, times: { idle: 1000, total: 4000 } };
    const after = { atMs: 1500, stallUs: 5_400_000, times: { idle: 1025, total: 4100 } };
    expect(cpuLoadBetween(before, after)).toEqual({ stall: 0.8, idle: 0.25 });
  });

  it('says nothing it cannot know: no PSI, too few ticks, or an empty window', () => {
    const before = { atMs: 1000, stallUs: undefined, times: { idle: 10, total: 40 } };
    expect(cpuLoadBetween(before, { atMs: 1010, stallUs: undefined, times: { idle: 11, total: 42 } })).toEqual({ stall: undefined, idle: undefined });
    expect(cpuLoadBetween({ ...before, stallUs: 7 }, { atMs: 1000, stallUs: 9, times: undefined })).toEqual({ stall: undefined, idle: undefined });
    // Counters are clamped to 0..1 (PSI sums per-CPU time, which a short window can round past the wall).
    expect(cpuLoadBetween({ ...before, stallUs: 0 }, { atMs: 1100, stallUs: 150_000, times: undefined }).stall).toBe(1);
  });
});
