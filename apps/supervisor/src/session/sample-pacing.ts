/**
 * How long the memory sampler waits before its next round. PSS comes from /proc/<pid>/smaps_rollup, which the
 * kernel answers by walking the process's page tables: 1.4-8 ms of CPU per Chromium process measured here (their
 * address spaces reserve terabytes), about 15-25 ms per webjs session. At 100 sessions a round is seconds of CPU,
 * and every 10 s that was a fifth of a core spent watching idle sessions.
 *
 * So rounds hold to a budget: a round that took R ms of reading is followed by a period of at least R / budget
 * (from its start to the next one's), never less than the configured interval. With few sessions nothing changes;
 * with many, samples come less often and the sampler stays near `budget` of one core. The round's duration
 * stands for its cost: the reads are sequential, each mostly kernel time, and a machine too busy to run them
 * promptly makes the round longer, which only spaces the next one further. Pure; tested without processes.
 */
export interface SamplePacing {
  /** MEMORY_SAMPLE_INTERVAL_MS: the shortest period between the starts of two rounds. */
  intervalMs: number;
  /** Share of one core the rounds may take (0.02: 20 ms per second). */
  budget: number;
}

/** Delay from the end of a round that took `roundMs` to the start of the next one. */
export function decideSampleDelay(pacing: SamplePacing, roundMs: number): number {
  const periodMs = Math.max(pacing.intervalMs, roundMs / pacing.budget);
  return Math.max(0, Math.ceil(periodMs - roundMs));
}
