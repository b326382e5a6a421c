/**
 * vitest global setup of the supervisor's tests: one throwaway PostgreSQL server for the whole run (a test
 * takes a database of its own from it, see usePostgres in postgres.ts), stopped at the end.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's port; databases are created through its `postgres` superuser. */
    postgresPort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const server = await startPostgres();
  project.provide('postgresPort', server.port);
  return () => server.stop();
}
