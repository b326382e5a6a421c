#!/usr/bin/env node
// Part of `pnpm test`: the cluster tests run throwaway PostgreSQL servers (initdb + pg_ctl in a temporary
// directory), so PostgreSQL's server programs must be there (ensure-debian-package.mjs). Nothing is started here.
import { ensureDebianPackage } from './ensure-debian-package.mjs';
import { postgresBinDir } from './postgres-binaries.mjs';

ensureDebianPackage({
  label: 'postgresql',
  pkg: 'postgresql',
  locate: postgresBinDir,
  hint: 'No PostgreSQL server programs found. Install them (Debian/Ubuntu: sudo apt-get install -y postgresql) or set PG_BIN.',
  seconds: 30,
});
