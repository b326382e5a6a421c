/**
 * Throwaway PostgreSQL servers for the tests: `initdb` into a temporary directory and `pg_ctl` on a free port,
 * as the `postgres` user when we are root (initdb refuses root). The server is real; only its durability is
 * relaxed (fsync off), since no test pulls the power. Each test gets a database of its own, owned by a role
 * without superuser rights, as the contract asks of a deployment.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
// @ts-expect-error: a plain ES module shared with scripts/ensure-postgres.mjs
import { postgresBinDir } from '../../../scripts/postgres-binaries.mjs';

export interface PostgresServer {
  port: number;
  /** The connection string of a new, empty database owned by the test role. */
  createDatabase(): Promise<string>;
  /** `pg_ctl restart -m fast`: every connection is cut, the data stays. */
  restart(): void;
  stop(): void;
}

export const TEST_ROLE = 'wsm_test';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

let databases = 0;

/** A new, empty database on the server at `port`, owned by the test role; resolves with its connection string. */
export async function createDatabase(port: number): Promise<string> {
  const name = `wsm_${process.pid}_${++databases}_${Date.now().toString(36)}`;
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} OWNER ${TEST_ROLE}`);
  } finally {
    await client.end();
  }
  return `postgres://${TEST_ROLE}@127.0.0.1:${port}/${name}`;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = (postgresBinDir as () => string | undefined)();
  if (bin === undefined) throw new Error('PostgreSQL is not installed: run node scripts/ensure-postgres.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'wsm-pg-'));
  const dataDir = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (program: string, args: string[]): void => {
    const command = asRoot ? 'runuser' : join(bin, program);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
    execFileSync(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  };
  run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  const pgCtl = (...args: string[]): void => run('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dir, 'server.log'), ...args]);
  pgCtl('-w', 'start');

  const setup = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await setup.connect();
  await setup.query(`CREATE ROLE ${TEST_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  await setup.end();

  return {
    port,
    createDatabase: () => createDatabase(port),
    restart() {
      pgCtl('-w', '-m', 'fast', 'restart');
    },
    stop() {
      try {
        pgCtl('-w', '-m', 'immediate', 'stop');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
