// What `pnpm start` and `pnpm test` do for each program the project needs from the machine (Chromium,
// PostgreSQL's server programs): use the one found; when there is none and we may install it (root with apt-get,
// as on Debian servers and CI), install the Debian package; otherwise say exactly what to do, and exit 1.
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const isExecutable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * `locate` returns the program's path (or directory) when present. `label` names it in the output, `pkg` is the
 * Debian package, `hint` the line for a machine where we may not install, `seconds` about how long it takes.
 */
export function ensureDebianPackage({ label, pkg, locate, hint, seconds }) {
  const found = locate();
  if (found) {
    process.stdout.write(`${label}: ${found}\n`);
    return;
  }
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (process.getuid?.() !== 0 || !hasApt) {
    process.stderr.write(`${hint}\n`);
    process.exit(1);
  }
  process.stdout.write(`${label}: not found; installing Debian's ${pkg} (about ${seconds} s)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', pkg]]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0) {
      process.stderr.write(`apt-get ${args.join(' ')} failed (exit ${result.status})\n`);
      process.exit(1);
    }
  }
  const installed = locate();
  if (!installed) {
    process.stderr.write(`apt-get installed ${pkg} but ${label} is still not found\n`);
    process.exit(1);
  }
  process.stdout.write(`${label}: ${installed} (installed)\n`);
}
