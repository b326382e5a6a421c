/**
 * When a stage deadline has run out, counting only time the session could run. A stage (Chromium's launch, the
 * page load, the wait for `ready`) that the machine starves of CPU is slow, not stuck: wall time minus the CPU
 * stall the kernel measured meanwhile (PSI `some`: time in which some runnable task waited for a CPU) is what
 * counts. A stage starved for good is as lost as a stuck one: past `STARVED_LIMIT` times its deadline in wall
 * time, it has run out whatever it waited, as the supervisor's hang watchdog does (hang-policy.ts).
 *
 * Pure: stage-deadline.ts measures, this decides; tested without clocks or processes. PSI is machine-wide, so
 * on a machine that is busy with other work too the deadline stretches (never past the starved limit); without
 * PSI the stall is 0 and the deadline is plain wall time, as it was.
 */

/** A starved stage gets this many times its deadline in wall time before it has run out anyway. */
export const STARVED_LIMIT = 6;

export interface StageClock {
  /** The stage's deadline in time it could run. */
  limitMs: number;
  /** Wall time since the stage began. */
  wallMs: number;
  /** How much of it the machine's runnable tasks waited for a CPU (0 when unknown). */
  stalledMs: number;
}

export type StageVerdict =
  | { expired: true; reason: 'ran-out' | 'starved-too-long'; runnableMs: number }
  | { expired: false; runnableMs: number; recheckInMs: number };

/** Never look again sooner than this: the stall is measured in whole scheduler ticks anyway. */
const MIN_RECHECK_MS = 50;

export function decideStage(clock: StageClock): StageVerdict {
  const runnableMs = Math.max(0, clock.wallMs - Math.max(0, clock.stalledMs));
  if (runnableMs >= clock.limitMs) return { expired: true, reason: 'ran-out', runnableMs };
  const hardLimitMs = clock.limitMs * STARVED_LIMIT;
  if (clock.wallMs >= hardLimitMs) return { expired: true, reason: 'starved-too-long', runnableMs };
  // The earliest it could run out: all of what is left runnable, or the starved limit.
  const recheckInMs = Math.max(MIN_RECHECK_MS, Math.min(clock.limitMs - runnableMs, hardLimitMs - clock.wallMs));
  return { expired: false, runnableMs, recheckInMs };
}
