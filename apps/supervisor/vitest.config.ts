import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'supervisor',
    include: ['test/**/*.test.ts'],
    // The worker bundle rebuilt from the compiled worker (well under a second), so no run tests a stale one; and
    // one throwaway PostgreSQL server for the run: the store contract and cluster tests take databases from it.
    globalSetup: ['test/worker-bundle-setup.ts', 'test/postgres-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
