import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'supervisor',
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL server for the run: the store contract and cluster tests take databases from it.
    globalSetup: ['test/postgres-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
