/**
 * Children a benchmark started that must not outlive it, even when it fails: SIGKILLed on exit.
 * A supervisor killed this way takes its workers along (they exit when their IPC channel closes); a browser
 * that puppeteer started in a process group of its own has no such tie, so its group is registered too.
 */
const owned = new Set();
const groups = new Set();

export function own(child) {
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  return child;
}

export function ownGroup(pgid) {
  groups.add(pgid);
}

/** SIGKILLs a registered process group now (no error if it is gone). */
export function killGroup(pgid) {
  groups.delete(pgid);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

process.once('exit', () => {
  for (const child of owned) child.kill('SIGKILL');
  for (const pgid of groups) killGroup(pgid);
});
// run.mjs ends an overrunning benchmark with SIGTERM: leave through 'exit', so the line above runs.
process.once('SIGTERM', () => process.exit(143));
