/**
 * Children a benchmark started that must not outlive it, even when it fails: SIGKILLed on exit.
 * A supervisor killed this way takes its workers along (they exit when their IPC channel closes); a browser
 * that puppeteer started in a process group of its own has no such tie, so its group is registered too.
 * Workers of a supervisor that was itself killed earlier (a failover) are found by the owner mark they carry,
 * and other resources (a database server, directories) by tasks run last.
 */
import { pidsWithEnv } from './proc.mjs';

const owned = new Set();
const groups = new Set();
const owners = new Set();
const tasks = [];

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

/** Every process marked WSM_OWNER=<owner> (a supervisor's workers: the owner is its DATA_DIR) is SIGKILLed on exit. */
export function ownMarked(owner) {
  owners.add(owner);
}

/** A synchronous task for exit, after every process is killed (stop a server, remove a directory); one that throws is reported. */
export function atExit(task) {
  tasks.push(task);
}

process.once('exit', () => {
  for (const child of owned) child.kill('SIGKILL');
  for (const pgid of groups) killGroup(pgid);
  for (const owner of owners) {
    for (const pid of pidsWithEnv(`WSM_OWNER=${owner}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  for (const task of tasks) {
    try {
      task();
    } catch (error) {
      process.stderr.write(`cleanup: ${error.message}\n`);
    }
  }
});
// run.mjs ends an overrunning benchmark with SIGTERM (a person with Ctrl-C): leave through 'exit', so the line above runs.
process.once('SIGTERM', () => process.exit(143));
process.once('SIGINT', () => process.exit(130));
