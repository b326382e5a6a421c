import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'ipc-protocol', include: ['test/**/*.test.ts'] },
});
