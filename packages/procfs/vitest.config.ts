import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'procfs', include: ['test/**/*.test.ts'] },
});
