/** Renders the results of one run of the suite as docs/benchmarks.md. */
import { num, ratio } from './format.mjs';

const cell = (text) => String(text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
const verdict = (met) => (met === true ? 'met' : met === false ? '**missed**' : '—');

function table(rows) {
  const lines = ['| measure | figure | reference | ratio | target | met |', '|---|---:|---:|---:|---|---|'];
  for (const row of rows) {
    lines.push(
      `| ${cell(row.measure)} | ${cell(row.figure)} | ${cell(row.reference)} | ${row.ratio === null ? '—' : ratio(row.ratio)} | ${cell(row.target ?? '—')} | ${verdict(row.met)} |`,
    );
  }
  return lines.join('\n');
}

export function renderReport({ machine, results, totalSeconds }) {
  const out = [];
  out.push('# Benchmarks', '');
  out.push(
    'Written by `pnpm bench` (`bench/run.mjs`), which builds, runs every benchmark in its own child process and rewrites this page: ' +
      'do not edit it by hand. Every figure is measured in the same run as its reference, interleaved where the benchmark allows, ' +
      'with warm-up rounds dropped; ratio = figure / reference.',
    '',
  );
  out.push('## Machine', '');
  out.push('| | |', '|---|---|');
  out.push(`| CPU | ${cell(machine.cpu)} |`);
  out.push(`| cores | ${machine.cores} |`);
  out.push(`| memory | ${num(machine.memoryGiB, 1)} GiB |`);
  out.push(`| Node | ${machine.node} |`);
  out.push(`| kernel | ${cell(machine.kernel)} (${cell(machine.distribution)}) |`);
  out.push(`| date | ${machine.date} |`);
  out.push(`| commit | \`${machine.commit}\` (the work tree may hold uncommitted changes) |`);
  out.push(`| suite time | ${Math.round(totalSeconds)} s |`);
  out.push('');
  out.push(
    machine.nodeExtraCaCerts === null
      ? 'NODE_EXTRA_CA_CERTS is not set on this machine.'
      : `NODE_EXTRA_CA_CERTS is set on this machine (\`${machine.nodeExtraCaCerts}\`): every Node process loads that bundle at start ` +
          '(tens of ms). Every figure and its reference run with the same environment, so both pay it; the spawn section shows what it costs.',
    '',
  );

  out.push('## Targets at a glance', '');
  out.push('| benchmark | measure | figure | reference | ratio | target | met |', '|---|---|---:|---:|---:|---|---|');
  for (const result of results) {
    if (result.error) {
      out.push(`| ${cell(result.name)} | (did not finish) | — | — | — | — | **failed** |`);
      continue;
    }
    for (const row of result.rows.filter((r) => r.target !== null)) {
      out.push(
        `| ${cell(result.name)} | ${cell(row.measure)} | ${cell(row.figure)} | ${cell(row.reference)} | ${row.ratio === null ? '—' : ratio(row.ratio)} | ${cell(row.target)} | ${verdict(row.met)} |`,
      );
    }
  }
  out.push('');

  results.forEach((result, index) => {
    out.push(`## ${index + 1}. ${result.title ?? result.name}`, '');
    if (result.error) {
      out.push(`Did not finish: ${cell(result.error)}`, '');
      return;
    }
    out.push(table(result.rows), '');
    out.push(`How measured: ${result.how}`, '');
    for (const note of result.notes ?? []) out.push(`- ${note}`);
    if ((result.notes ?? []).length > 0) out.push('');
    if (result.profile) {
      out.push(`Why missed (CPU profile of a re-run with \`--cpu-prof\` on ${result.profile.role}; shares of its busy time): ${result.profile.summary}`, '');
      if (result.profile.explanation) out.push(`Reading: ${result.profile.explanation}`, '');
    }
  });

  out.push('## Reproduce', '');
  out.push('```sh', 'pnpm bench                                  # build, run everything, rewrite this page', 'node bench/run.mjs spawn api                # a subset: prints results, leaves this page alone', 'node bench/benchmarks/events.mjs 5000 5     # one benchmark, smaller, JSON on stdout', '```', '');
  return out.join('\n');
}
