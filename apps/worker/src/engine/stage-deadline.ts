/**
 * One stage's deadline in time the session could run (runnable-clock.ts decides): a timer set for the time that
 * is left, which, when it fires, subtracts the CPU stall that PSI measured since the stage began and sets itself
 * again for what is still left, until the stage has run out or is disarmed.
 */
import { readCpuStallUs } from '@wsm/procfs';
import { decideStage, type StageVerdict } from './runnable-clock.js';

export interface StageExpiry {
  reason: Extract<StageVerdict, { expired: true }>['reason'];
  wallMs: number;
  runnableMs: number;
}

export class StageDeadline {
  readonly #readStallUs: () => number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(readStallUs: () => number | undefined = readCpuStallUs) {
    this.#readStallUs = readStallUs;
  }

  /** Starts a stage of `limitMs`; `onExpire` runs once it has run out. Replaces the stage armed before. */
  arm(limitMs: number, onExpire: (expiry: StageExpiry) => void): void {
    this.disarm();
    const startedAt = performance.now();
    const stallAtStart = this.#readStallUs();
    const check = (): void => {
      const wallMs = performance.now() - startedAt;
      const stallNow = stallAtStart === undefined ? undefined : this.#readStallUs();
      const stalledMs = stallAtStart === undefined || stallNow === undefined ? 0 : (stallNow - stallAtStart) / 1000;
      const verdict = decideStage({ limitMs, wallMs, stalledMs });
      if (verdict.expired) {
        this.#timer = undefined;
        onExpire({ reason: verdict.reason, wallMs: Math.round(wallMs), runnableMs: Math.round(verdict.runnableMs) });
        return;
      }
      this.#timer = setTimeout(check, verdict.recheckInMs);
    };
    this.#timer = setTimeout(check, limitMs);
  }

  disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
