/**
 * Admission control as a pure decision: a session about to be meant to run is admitted while fewer than
 * MAX_SESSIONS are, and while enough memory stays available after its engine's expected footprint.
 * Running sessions are never touched by it.
 */
import type { EngineName } from '@wsm/ipc-protocol';

export interface AdmissionPolicy {
  maxSessions: number;
  minFreeBytes: number;
}

export interface AdmissionInput {
  /** Sessions meant to run now. */
  running: number;
  engine: EngineName;
  /** MemAvailable, when the platform tells it. */
  availableBytes: number | undefined;
}

export type Admission =
  | { admit: true }
  | { admit: false; reason: 'too-many-sessions'; running: number }
  | { admit: false; reason: 'insufficient-memory'; availableBytes: number };

/**
 * What a new session of each engine is expected to take (measured: bench/). webjs: 320 MB when one idle session
 * measured ~300 MB of PSS (docs/benchmarks.md §4); the leaner Chromium flags of chromium.ts took that to 0.68× in
 * one interleaved run (bench/benchmarks/webjs-flags.mjs: PSS 155 vs 229 MB, anonymous 132 vs 194 MB), ~218 MB
 * of the old figure, rounded up for real WhatsApp Web's larger page (a 30-60 MB JS heap against the emulator's 2 MB).
 */
export const ENGINE_FOOTPRINT_BYTES: Readonly<Record<EngineName, number>> = {
  simulated: 64 * 1024 * 1024,
  webjs: 256 * 1024 * 1024,
};

export function decideAdmission(policy: AdmissionPolicy, input: AdmissionInput): Admission {
  if (input.running >= policy.maxSessions) return { admit: false, reason: 'too-many-sessions', running: input.running };
  const available = input.availableBytes;
  if (available !== undefined && available - ENGINE_FOOTPRINT_BYTES[input.engine] < policy.minFreeBytes) {
    return { admit: false, reason: 'insufficient-memory', availableBytes: available };
  }
  return { admit: true };
}
