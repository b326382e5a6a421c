/**
 * A throwaway PostgreSQL server for the cluster benchmark (the shape of apps/supervisor/test/postgres-server.ts):
 * `initdb` into a temporary directory and `pg_ctl` on a free port, as the `postgres` user when we are root
 * (initdb refuses root), databases owned by a role without superuser rights. Unlike the tests' server it keeps
 * PostgreSQL's durability defaults (fsync, synchronous_commit, full_page_writes on), as a deployment runs.
 * Stopped and removed on exit, whatever happened (cleanup.mjs).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresBinDir } from '../../scripts/postgres-binaries.mjs';
import { atExit } from './cleanup.mjs';
import { freePort } from './http.mjs';
import { treeCpuTimeMs } from './proc.mjs';

export const ROLE = 'wsm_bench';

export async function startPostgres() {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('PostgreSQL is not installed: run node scripts/ensure-postgres.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-pg-'));
  const dataDir = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  chmodSync(dir, 0o700);
  const run = (program, args) => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args];
    return execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, encoding: 'utf8' });
  };
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300`;
  const pgCtl = (...args) => run('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dir, 'server.log'), ...args]);
  let running = false;
  const stop = () => {
    if (running) {
      running = false;
      pgCtl('-w', '-m', 'immediate', 'stop');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  atExit(stop);
  run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C']);
  pgCtl('-w', 'start');
  running = true;
  const psql = (sql, database = 'postgres') =>
    run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql]).trim();
  psql(`CREATE ROLE ${ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  let databases = 0;
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    port,
    version: psql('SHOW server_version'),
    /** A new, empty database owned by the role, with `settings` (e.g. { synchronous_commit: 'off' }); its URL. */
    createDatabase(settings = {}) {
      const name = `wsm_bench_${++databases}`;
      psql(`CREATE DATABASE ${name} OWNER ${ROLE}`);
      for (const [key, value] of Object.entries(settings)) psql(`ALTER DATABASE ${name} SET ${key} = '${value}'`);
      return `postgres://${ROLE}@127.0.0.1:${port}/${name}`;
    },
    /** A one-line query as the superuser, in `database` (a name or URL; default postgres); the answer as text (-A -t). */
    query: psql,
    /** CPU time the whole server (postmaster and backends) has used so far, in ms. */
    cpuMs: () => treeCpuTimeMs(postmaster),
    stop,
  };
}
