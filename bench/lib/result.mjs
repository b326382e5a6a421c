/**
 * How a benchmark hands back its result: one JSON document, written to $BENCH_OUT when run.mjs started it,
 * else printed. A result is { name, title, how, rows: [{ measure, figure, reference, ratio, target, met }],
 * notes, raw } — rows are already formatted for the report, `raw` keeps the numbers they came from.
 */
import { writeFileSync } from 'node:fs';

/** A table row. `met` is true/false against the target, or null where there is no target. */
export function row(measure, { figure, reference, ratio = null, target = null, met = null }) {
  return { measure, figure, reference, ratio, target, met };
}

export function emit(result) {
  const text = JSON.stringify(result, null, 2);
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, text);
  else console.log(text);
}

/** Progress for whoever watches the run; stderr, so it never mixes with a printed result. */
export const progress = (name) => (message) => process.stderr.write(`[${name}] ${message}\n`);
