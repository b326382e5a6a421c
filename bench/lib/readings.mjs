/**
 * Plain-language readings of a profile summary (profile.mjs): each applies only when the profile shows its
 * pattern among the top entries, so what the report says follows from the run's own profile.
 */
const pct = (share) => `${Math.round(share * 100)}%`;
const OUTBOX = 'supervisor/events/sqlite-outbox-store.js';
const writes = (functions) => functions.filter((entry) => /^(writev|writeUtf8String|writeBuffer) \(\(native\)\)/.test(entry.name));

const READINGS = [
  {
    applies: ({ places }) => places.slice(0, 4).some((entry) => entry.name === OUTBOX || entry.name === 'better-sqlite3'),
    text: ({ places, functions }) => {
      const share = places.filter((entry) => entry.name === OUTBOX || entry.name === 'better-sqlite3').reduce((sum, entry) => sum + entry.share, 0);
      const named = functions
        .filter((entry) => entry.name.includes(`(${OUTBOX}:`) || entry.name.includes('(better-sqlite3:'))
        .map((entry) => `${entry.name.replace(/ \((?:supervisor\/events\/)?([^)]+)\)$/, ' ($1)')} ${pct(entry.share)}`);
      return `the event outbox's SQLite work (events/sqlite-outbox-store.ts and better-sqlite3) takes ${pct(share)}${named.length > 0 ? `: ${named.join(', ')}` : ''}`;
    },
  },
  {
    applies: ({ functions }) => functions.slice(0, 3).some((entry) => entry.name.startsWith('ChildProcess.spawn ')),
    text: ({ functions }) =>
      `fork() is synchronous: starting workers blocks the supervisor's event loop (ChildProcess.spawn ${pct(functions.find((entry) => entry.name.startsWith('ChildProcess.spawn ')).share)})`,
  },
  {
    applies: ({ places }) => places.slice(0, 4).some((entry) => entry.name === 'ajv' || entry.name === 'node:modules/cjs/loader'),
    text: ({ places }) => {
      const share = (name) => places.find((entry) => entry.name === name)?.share ?? 0;
      const parts = [];
      if (share('ajv') > 0) {
        parts.push(`schema compilation (ajv ${pct(share('ajv'))}: Fastify builds a route's response serializer on that route's first request)`);
      }
      if (share('node:modules/cjs/loader') > 0) parts.push(`module loading (${pct(share('node:modules/cjs/loader'))})`);
      return `one-time start-up work holds the first requests: ${parts.join(', ')}`;
    },
  },
  {
    applies: ({ functions }) => writes(functions).reduce((sum, entry) => sum + entry.share, 0) >= 0.25,
    text: ({ functions, places }) =>
      `writes to sockets and pipes (${writes(functions).map((entry) => `${entry.name.split(' ')[0]} ${pct(entry.share)}`).join(', ')}) ` +
      'are the largest native cost; the supervisor\'s own JavaScript shows as ' +
      places
        .filter((entry) => /^(supervisor\/|fastify|prom-client|fast-json-stringify|pino|@pinojs)/.test(entry.name))
        .map((entry) => `${entry.name} ${pct(entry.share)}`)
        .join(', '),
  },
  {
    // A synchronous read that waits (smaps_rollup of a process busy mapping memory waits for its mmap lock) shows as native self time.
    applies: ({ functions }) => (functions.find((entry) => entry.name.startsWith('readFileUtf8 '))?.share ?? 0) >= 0.2,
    text: ({ functions, places }) => {
      const procfs = places.filter((entry) => entry.name === 'procfs/index.js' || entry.name.startsWith('supervisor/session/resource-monitor'));
      return (
        `synchronous file reads hold the thread (readFileUtf8 ${pct(functions.find((entry) => entry.name.startsWith('readFileUtf8 ')).share)} of its busy time; a read waiting in the kernel counts here as much as one computing)` +
        (procfs.length > 0 ? `; the /proc readers around them: ${procfs.map((entry) => `${entry.name} ${pct(entry.share)}`).join(', ')}` : '')
      );
    },
  },
  {
    applies: ({ functions }) => (functions.find((entry) => entry.name.startsWith('(garbage collector)'))?.share ?? 0) >= 0.08,
    text: ({ functions }) => `garbage collection takes ${pct(functions.find((entry) => entry.name.startsWith('(garbage collector)')).share)}`,
  },
  {
    // Only where the benchmark named the window that matters: elsewhere idle time includes the reference's turn.
    applies: ({ busyMs, idleMs, window }) => window !== undefined && busyMs / (busyMs + idleMs) < 0.5,
    text: ({ busyMs, idleMs }) =>
      `the supervisor's own thread was busy only ${pct(busyMs / (busyMs + idleMs))} of that window: most of the waiting happened outside it (other processes holding the 2 cores, or workers)`,
  },
];

export function readProfile(summary) {
  const found = READINGS.filter((reading) => reading.applies(summary)).map((reading) => reading.text(summary));
  return found.length > 0 ? `${found.join('; ')}.` : undefined;
}
