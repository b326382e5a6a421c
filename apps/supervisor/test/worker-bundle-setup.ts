/**
 * vitest global setup of the supervisor's tests: bundles the compiled worker (apps/worker/dist) into the
 * dist/worker.cjs that supervisors fork by default, so a run after `tsc -b` alone never tests a stale bundle.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../../worker/scripts/bundle.mjs', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: ['ignore', 'ignore', 'inherit'] });
}
