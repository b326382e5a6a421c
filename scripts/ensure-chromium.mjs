#!/usr/bin/env node
// Part of `pnpm start` and `pnpm test`: the webjs engine and its end-to-end tests need a Chromium on the
// machine. When none is found and we may install one (root with apt-get, as on Debian servers and CI),
// install Debian's `chromium`; otherwise say exactly what to do.
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

const candidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
].filter(Boolean);

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const found = candidates.find(executable);
if (found) {
  process.stdout.write(`chromium: ${found}\n`);
  process.exit(0);
}

const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (process.getuid?.() !== 0 || !hasApt) {
  process.stderr.write(
    'No Chromium found. Install one (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM_PATH.\n',
  );
  process.exit(1);
}

process.stdout.write('chromium: not found; installing Debian\'s chromium (about 80 s)\n');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (result.status !== 0) {
    process.stderr.write(`apt-get ${args.join(' ')} failed (exit ${result.status})\n`);
    process.exit(1);
  }
}
if (!executable('/usr/bin/chromium')) {
  process.stderr.write('apt-get installed chromium but /usr/bin/chromium is missing\n');
  process.exit(1);
}
process.stdout.write('chromium: /usr/bin/chromium (installed)\n');
