/** A database of the run's PostgreSQL server (postgres-setup.ts) for one test or one file. */
import { inject } from 'vitest';
import { createDatabase } from './postgres-server.js';

export function testDatabase(): Promise<string> {
  return createDatabase(inject('postgresPort'));
}
