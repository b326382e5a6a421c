/** What the figures were measured on: CPU, cores, memory, Node, kernel, distribution, the commit measured, and the load then. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const distribution = () => {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
};

/** The short commit of the work tree (read only); uncommitted changes are not detected. */
const commit = (cwd) => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
};

export function describeMachine(repoRoot) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    distribution: distribution(),
    commit: commit(repoRoot),
    nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? null,
    date: new Date().toISOString(),
    loadAverage: os.loadavg(),
  };
}
