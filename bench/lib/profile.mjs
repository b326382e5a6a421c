/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) into what a reader needs to see why a target was missed: the
 * functions with the most self time, and the same time grouped by where the code lives (our files, a package,
 * Node internals), each as a share of the busy (non-idle) time.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const IDLE = new Set(['(idle)', '(root)']);
const sources = new Map();

/** For an anonymous function in our own compiled code: the method it sits in (the nearest method header above it). */
function enclosingMethod(url, lineNumber) {
  if (!/\/(apps|packages)\/[^/]+\/dist\//.test(url)) return undefined;
  if (!sources.has(url)) {
    try {
      sources.set(url, readFileSync(fileURLToPath(url), 'utf8').split('\n'));
    } catch {
      sources.set(url, []);
    }
  }
  const lines = sources.get(url);
  for (let index = lineNumber; index >= 0; index--) {
    const header = /^\s{2,4}(?:async\s+)?(?:static\s+)?(#?\w+)\s*\([^)]*\)\s*\{/.exec(lines[index] ?? '');
    if (header && !['if', 'for', 'while', 'switch', 'catch', 'function'].includes(header[1])) return header[1];
  }
  return undefined;
}

/** Where a function lives: `supervisor/<file>`, `worker/<file>`, a package name, `node:<module>`, or V8's own entries. */
function place(url, functionName) {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/(apps|packages)\/([^/]+)\/dist\/(.+)$/.exec(url);
  if (ours) return `${ours[2]}/${ours[3]}`;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:');
  return url.split('/').slice(-2).join('/');
}

/**
 * Each sample of a V8 CPU profile taken in `window` (all of them when undefined), with the time it stands for:
 * a sample lasts until the next one, and its timestamp is the sum of the deltas before it.
 */
function forEachSample(profile, window, visit) {
  let atMs = profile.startTime / 1000;
  for (let index = 0; index < profile.samples.length; index++) {
    atMs += (profile.timeDeltas[index] ?? 0) / 1000;
    if (window !== undefined && (atMs < window.fromMs || atMs > window.toMs)) continue;
    visit(profile.samples[index], (profile.timeDeltas[index + 1] ?? 0) / 1000);
  }
}

/**
 * `window` ({ fromMs, toMs } on the monotonic clock of process.hrtime, which V8's profile timestamps share)
 * keeps only the samples taken in it; by default all of them.
 */
export function summarizeProfile(file, top = 8, window = undefined) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const selfMs = new Map(profile.nodes.map((node) => [node.id, 0]));
  forEachSample(profile, window, (id, deltaMs) => selfMs.set(id, selfMs.get(id) + deltaMs));
  const byFunction = new Map();
  const byPlace = new Map();
  let busyMs = 0;
  let idleMs = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id);
    const { functionName, url, lineNumber } = node.callFrame;
    if (IDLE.has(functionName)) {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const where = place(url, functionName);
    const method = functionName === '' ? enclosingMethod(url, lineNumber) : undefined;
    const name = functionName || (method ? `(anonymous in ${method})` : '(anonymous)');
    const key = `${name} (${where}${url ? `:${lineNumber + 1}` : ''})`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    byPlace.set(where, (byPlace.get(where) ?? 0) + ms);
  }
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: ms / busyMs }));
  const windowFromStart = window && { fromMs: window.fromMs - profile.startTime / 1000, toMs: window.toMs - profile.startTime / 1000 };
  return { busyMs, idleMs, window: windowFromStart, functions: rank(byFunction), places: rank(byPlace) };
}

/** One line: busy share of wall time, then the top places and functions with their shares of busy time. */
export function describeProfile(summary, top = 5) {
  const pct = (share) => `${Math.round(share * 100)}%`;
  const wall = summary.busyMs + summary.idleMs;
  const span = summary.window
    ? `${(wall / 1000).toFixed(2)} s (${(summary.window.fromMs / 1000).toFixed(2)}–${(summary.window.toMs / 1000).toFixed(2)} s after its start)`
    : `${Math.round(wall / 1000)} s`;
  return (
    `busy ${pct(summary.busyMs / wall)} of ${span}; by place: ` +
    summary.places.slice(0, top).map((entry) => `${entry.name} ${pct(entry.share)}`).join(', ') +
    '; top functions: ' +
    summary.functions.slice(0, top).map((entry) => `${entry.name} ${pct(entry.share)}`).join(', ')
  );
}

/**
 * Inclusive shares: for each group ({ label: RegExp on a frame's URL }), the share of the busy time in `window`
 * whose stack holds a frame of that group (a sample can count for several groups). Answers "how much of the
 * work happened on behalf of X", which self time by place does not (a socket write counts under no package).
 */
export function stackShares(file, groups, window = undefined) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const entries = Object.entries(groups);
  const inGroup = new Map();
  const groupsOf = (id) => {
    if (!inGroup.has(id)) {
      const { url } = byId.get(id).callFrame;
      const own = entries.filter(([, pattern]) => pattern.test(url)).map(([label]) => label);
      const parent = parentOf.get(id);
      inGroup.set(id, new Set([...own, ...(parent === undefined ? [] : groupsOf(parent))]));
    }
    return inGroup.get(id);
  };
  const sums = Object.fromEntries(entries.map(([label]) => [label, 0]));
  let busyMs = 0;
  forEachSample(profile, window, (id, deltaMs) => {
    if (IDLE.has(byId.get(id).callFrame.functionName)) return;
    busyMs += deltaMs;
    for (const label of groupsOf(id)) sums[label] += deltaMs;
  });
  return Object.fromEntries(entries.map(([label]) => [label, busyMs === 0 ? 0 : sums[label] / busyMs]));
}
