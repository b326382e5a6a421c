/**
 * docs/benchmarks.md: rendered whole from one run of the suite (renderReport), or with some sections replaced
 * by benchmarks run on their own (updateReport), the rest of the page kept as it was. The page is a title and
 * intro, then `## ` blocks: Machine, Targets at a glance, one numbered section per benchmark (its heading is
 * followed by a `<!-- bench: <name> -->` mark, which is how an update finds it again), Reproduce.
 */
import { num, ratio } from './format.mjs';

const cell = (text) => String(text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
const verdict = (met) => (met === true ? 'met' : met === false ? '**missed**' : '—');
const mark = (name) => `<!-- bench: ${name} -->`;

function table(rows) {
  const lines = ['| measure | figure | reference | ratio | target | met |', '|---|---:|---:|---:|---|---|'];
  for (const row of rows) {
    lines.push(
      `| ${cell(row.measure)} | ${cell(row.figure)} | ${cell(row.reference)} | ${row.ratio === null ? '—' : ratio(row.ratio)} | ${cell(row.target ?? '—')} | ${verdict(row.met)} |`,
    );
  }
  return lines.join('\n');
}

function intro() {
  return [
    '# Benchmarks',
    '',
    'Written by `pnpm bench` (`bench/run.mjs`), which builds, runs every benchmark in its own child process and rewrites this page: ' +
      'do not edit it by hand. `node bench/run.mjs --update <name>` runs one benchmark and replaces only its section, which then says when it was measured. ' +
      'Every figure is measured in the same run as its reference, interleaved where the benchmark allows, with warm-up rounds dropped; ratio = figure / reference.',
    '',
  ];
}

/** The rows of "Targets at a glance" for one result. */
function glanceRows(result) {
  if (result.error) return [`| ${cell(result.name)} | (did not finish) | — | — | — | — | **failed** |`];
  return result.rows
    .filter((row) => row.target !== null)
    .map(
      (row) =>
        `| ${cell(result.name)} | ${cell(row.measure)} | ${cell(row.figure)} | ${cell(row.reference)} | ${row.ratio === null ? '—' : ratio(row.ratio)} | ${cell(row.target)} | ${verdict(row.met)} |`,
    );
}

/** How a section measured on its own says so: when, at which commit, on what. */
function aloneText(name, machine) {
  const load = machine.loadAverage === undefined ? '' : `; load average (1, 5, 15 min) at its start ${machine.loadAverage.map((value) => num(value, 2)).join(' ')}`;
  return (
    `Measured on its own, not in the suite run the rest of this page comes from: \`node bench/run.mjs --update ${name}\` on ${machine.date}, ` +
    `commit \`${machine.commit}\` (the work tree may hold uncommitted changes), ${cell(machine.cpu)}, ${machine.cores} cores, ${num(machine.memoryGiB, 1)} GiB, ` +
    `Node ${machine.node}${load}.`
  );
}

/** One benchmark's section, numbered `number`; `alone` (the machine of its own run) when it was run by itself. */
export function renderSection(result, number, alone) {
  const out = [`## ${number}. ${result.title ?? result.name}`, mark(result.name), ''];
  if (alone) out.push(aloneText(result.name, alone), '');
  if (result.error) {
    out.push(`Did not finish: ${cell(result.error)}`, '');
    return out;
  }
  out.push(table(result.rows), '');
  out.push(`How measured: ${result.how}`, '');
  for (const note of result.notes ?? []) out.push(`- ${note}`);
  if ((result.notes ?? []).length > 0) out.push('');
  if (result.profile) {
    out.push(`Why missed (CPU profile of a re-run with \`--cpu-prof\` on ${result.profile.role}; shares of its busy time): ${result.profile.summary}`, '');
    if (result.profile.explanation) out.push(`Reading: ${result.profile.explanation}`, '');
  }
  return out;
}

function reproduce() {
  return [
    '## Reproduce',
    '',
    '```sh',
    'pnpm bench                                  # build, run everything, rewrite this page',
    'node bench/run.mjs spawn api                # a subset: prints results, leaves this page alone',
    'node bench/run.mjs --update media           # a subset: replaces only their sections of this page',
    'node bench/benchmarks/events.mjs 5000 5     # one benchmark, smaller, JSON on stdout',
    'node bench/benchmarks/webjs-flags.mjs --list                  # the Chromium/worker variants of the webjs memory sweep',
    "node bench/benchmarks/webjs-flags.mjs --only a,b --variant 'c=--flag'   # each beside our flags and whatsapp-web.js defaults",
    '',
    '# Not run by `pnpm bench` (minutes each); a full run keeps their sections as they were:',
    'node bench/run.mjs --update sessions-n              # N=50 webjs sessions on the emulator: start, idle PSS, restore, GET p99',
    'SESSIONS_N=100 node bench/run.mjs --update sessions-n   # the stretch: 100 sessions',
    'node bench/benchmarks/sessions-n.mjs 10 30          # N=10, 30 s idle, JSON on stdout (SESSIONS_N_TIMEOUT_SECONDS bounds each phase)',
    '```',
    '',
  ];
}

export function renderReport({ machine, results, totalSeconds }) {
  const out = [...intro()];
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
  for (const result of results) out.push(...glanceRows(result));
  out.push('');

  results.forEach((result, index) => out.push(...renderSection(result, index + 1)));
  out.push(...reproduce());
  return out.join('\n');
}

/** The page as blocks: its intro (before the first `## `), then one block per `## ` heading, each a list of lines. */
function blocksOf(text) {
  const blocks = [[]];
  for (const line of text.replace(/\n+$/, '').split('\n')) {
    if (line.startsWith('## ')) blocks.push([]);
    blocks.at(-1).push(line);
  }
  return blocks;
}

const headingOf = (block) => /^## (?:(\d+)\. )?(.*)$/.exec(block[0] ?? '');

/** The block of a benchmark's section: by its mark, else (a page written before marks) by its heading's title. */
function findSection(blocks, result) {
  const byMark = blocks.findIndex((block) => block.includes(mark(result.name)));
  if (byMark !== -1) return byMark;
  return blocks.findIndex((block) => {
    const heading = headingOf(block);
    return heading?.[1] !== undefined && heading[2] === (result.title ?? result.name);
  });
}

/**
 * `text` (the page as it is) with the sections of `results` replaced, each saying it was measured on its own
 * on `machine`; a benchmark without a section yet gets one, numbered next, before Reproduce. Its rows in
 * "Targets at a glance" and a row in the machine table (when it was measured) are replaced alike; every other
 * section is kept as it was. The intro and Reproduce are rewritten (they describe the tool, not a run).
 */
export function updateReport(text, { machine, results }) {
  const blocks = blocksOf(text);
  blocks[0] = intro();
  for (const result of results) {
    let at = findSection(blocks, result);
    const numbers = blocks.map((block) => Number(headingOf(block)?.[1] ?? 0));
    const number = at === -1 ? Math.max(0, ...numbers) + 1 : numbers[at];
    const section = renderSection(result, number, machine);
    if (at === -1) {
      at = blocks.findIndex((block) => block[0] === '## Reproduce');
      blocks.splice(at === -1 ? blocks.length : at, 0, section);
    } else {
      blocks[at] = section;
    }

    const glance = blocks.find((block) => block[0] === '## Targets at a glance');
    if (glance !== undefined) {
      // In place of its old rows, or after the last row.
      const own = (line) => line.startsWith(`| ${cell(result.name)} |`);
      const first = glance.findIndex(own);
      const kept = glance.filter((line) => !own(line));
      kept.splice(first === -1 ? kept.findLastIndex((line) => line.startsWith('|')) + 1 : first, 0, ...glanceRows(result));
      glance.splice(0, glance.length, ...kept);
    }

    const machineBlock = blocks.find((block) => block[0] === '## Machine');
    if (machineBlock !== undefined) {
      const label = `| ${cell(result.name)} section |`;
      const line = `${label} measured on its own on ${machine.date}, commit \`${machine.commit}\` (section ${number}) |`;
      const existing = machineBlock.findIndex((entry) => entry.startsWith(label));
      if (existing !== -1) machineBlock[existing] = line;
      else machineBlock.splice(machineBlock.findLastIndex((entry) => entry.startsWith('|')) + 1, 0, line);
    }
  }
  const reproduceAt = blocks.findIndex((block) => block[0] === '## Reproduce');
  if (reproduceAt !== -1) blocks[reproduceAt] = reproduce();
  return joinBlocks(blocks);
}

/** Each block ends with one blank line, whatever the hand-written ones had. */
const joinBlocks = (blocks) => `${blocks.map((block) => [...block.slice(0, block.findLastIndex((line) => line !== '') + 1), ''].join('\n')).join('\n')}`;

/**
 * `text` (a page just rendered whole) with the sections of the benchmarks `names` taken from `previous` (the
 * page it replaces): benchmarks a full run leaves out because they take minutes, and which `--update` measured
 * on their own. Each keeps its text, its rows in "Targets at a glance" and its line in the machine table,
 * renumbered after the sections of this run.
 */
export function carryOver(text, previous, names) {
  const old = blocksOf(previous);
  const blocks = blocksOf(text);
  const lastRowAfter = (block) => block.findLastIndex((line) => line.startsWith('|')) + 1;
  for (const name of names) {
    const section = old.find((block) => block.includes(mark(name)));
    if (section === undefined) continue;
    const number = Math.max(0, ...blocks.map((block) => Number(headingOf(block)?.[1] ?? 0))) + 1;
    const at = blocks.findIndex((block) => block[0] === '## Reproduce');
    blocks.splice(at === -1 ? blocks.length : at, 0, [section[0].replace(/^## \d+\. /, `## ${number}. `), ...section.slice(1)]);

    const oldGlance = old.find((block) => block[0] === '## Targets at a glance');
    const glance = blocks.find((block) => block[0] === '## Targets at a glance');
    if (oldGlance !== undefined && glance !== undefined) {
      glance.splice(lastRowAfter(glance), 0, ...oldGlance.filter((line) => line.startsWith(`| ${cell(name)} |`)));
    }
    const oldMachine = old.find((block) => block[0] === '## Machine');
    const machineBlock = blocks.find((block) => block[0] === '## Machine');
    const line = oldMachine?.find((entry) => entry.startsWith(`| ${cell(name)} section |`));
    if (line !== undefined && machineBlock !== undefined) {
      machineBlock.splice(lastRowAfter(machineBlock), 0, line.replace(/\(section \d+\)/, `(section ${number})`));
    }
  }
  return joinBlocks(blocks);
}
