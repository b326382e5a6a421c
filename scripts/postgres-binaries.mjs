// Where PostgreSQL's server programs are: PG_BIN, else Debian's /usr/lib/postgresql/<version>/bin (the highest
// version), else the PATH. Shared by ensure-postgres.mjs and the tests' throwaway servers.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isExecutable } from './ensure-debian-package.mjs';

/** The directory holding `initdb`, `pg_ctl` and `postgres`, or undefined when there is none. */
export function postgresBinDir() {
  const candidates = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(join('/usr/lib/postgresql', version, 'bin'));
  } catch {
    // no Debian layout
  }
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '') candidates.push(onPath.stdout.trim().replace(/\/initdb$/, ''));
  return candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((program) => isExecutable(join(dir, program))));
}
