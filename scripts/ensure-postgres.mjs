#!/usr/bin/env node
// Part of `pnpm test`: the cluster tests run throwaway PostgreSQL servers (initdb + pg_ctl in a temporary
// directory). When PostgreSQL's server programs are missing and we may install them (root with apt-get, as on
// Debian servers and CI), install Debian's `postgresql`; otherwise say exactly what to do. Nothing is started here.
import { spawnSync } from 'node:child_process';
import { postgresBinDir } from './postgres-binaries.mjs';

const found = postgresBinDir();
if (found) {
  process.stdout.write(`postgresql: ${found}\n`);
  process.exit(0);
}

const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (process.getuid?.() !== 0 || !hasApt) {
  process.stderr.write(
    'No PostgreSQL server programs found. Install them (Debian/Ubuntu: sudo apt-get install -y postgresql) or set PG_BIN.\n',
  );
  process.exit(1);
}

process.stdout.write("postgresql: not found; installing Debian's postgresql (about 30 s)\n");
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (result.status !== 0) {
    process.stderr.write(`apt-get ${args.join(' ')} failed (exit ${result.status})\n`);
    process.exit(1);
  }
}
const installed = postgresBinDir();
if (!installed) {
  process.stderr.write('apt-get installed postgresql but its server programs were not found\n');
  process.exit(1);
}
process.stdout.write(`postgresql: ${installed} (installed)\n`);
